package remoteio

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/files"
	"github.com/breeze-rmm/breeze/core/domain"
)

// HeaderSHA256 carries a file's hex SHA-256 both ways.
const HeaderSHA256 = "X-Content-SHA256"

// FileResponse describes a file written on a device.
type FileResponse struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func (h *Sockets) fileRoutes(g *httpapi.Group) {
	pathParam := httpapi.Param{Name: "path", Description: "absolute path on the device (C:\\... on Windows); no \"..\""}
	g.HandleRoute(httpapi.Route{
		Method: http.MethodPost, Path: "/devices/:id/files", Rule: httpapi.User(domain.PermRemoteAccess),
		Name: files.ActionUpload, Resource: "device",
		// The file streams through the body: the service bounds it.
		MaxBodyBytes: h.d.Files.MaxBytes() + 1,
		Doc: httpapi.Doc{
			Summary: "Upload a file to a device",
			Description: "Raw body with Content-Length; optional X-Content-SHA256 (hex) is checked. The agent writes " +
				"beside the target and renames once size and SHA-256 match. Limit: BREEZE_FILE_MAX_BYTES (256 MiB).",
			Tag: "Remote", Response: FileResponse{}, Status: http.StatusCreated,
			Query: []httpapi.Param{pathParam, {Name: "overwrite", Type: "boolean"}},
		},
	}, wrap(h.upload))
	g.HandleRoute(httpapi.Route{
		Method: http.MethodGet, Path: "/devices/:id/files", Rule: httpapi.User(domain.PermRemoteAccess),
		Name: files.ActionDownload, Resource: "device",
		Doc: httpapi.Doc{
			Summary:     "Download a file from a device",
			Description: "The bytes, verified against the device's SHA-256 before the first byte is sent; X-Content-SHA256 carries it.",
			Tag:         "Remote", ContentType: "application/octet-stream", Query: []httpapi.Param{pathParam},
		},
	}, wrap(h.download))
}

func (h *Sockets) upload(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	overwrite := false
	if v := c.Query("overwrite"); v != "" {
		if overwrite, err = strconv.ParseBool(v); err != nil {
			return domain.Invalidf("overwrite must be true or false")
		}
	}
	rc := http.NewResponseController(c.Writer)
	// A body still streaming when the request ends (the server drains for
	// shutdown) stops at once instead of holding the shutdown to its deadline.
	stop := context.AfterFunc(ctx, func() { _ = rc.SetReadDeadline(time.Now()) })
	defer stop()
	res, err := h.d.Files.Upload(ctx, p, files.UploadRequest{
		DeviceID: c.Param("id"), Path: c.Query("path"), Overwrite: overwrite,
		Body: &stallReader{ctx: ctx, r: c.Request.Body, rc: rc, stall: h.d.Options.BodyStall},
		Size: c.Request.ContentLength, SHA256: c.GetHeader(HeaderSHA256), Client: client(c),
	})
	var tooLarge *files.TooLargeError
	if errors.As(err, &tooLarge) {
		return &http.MaxBytesError{Limit: tooLarge.Limit} // 413
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, FileResponse{Path: res.Path, Size: res.Size, SHA256: res.SHA256})
	return nil
}

func (h *Sockets) download(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	d, err := h.d.Files.Download(ctx, p, c.Param("id"), c.Query("path"), client(c))
	if err != nil {
		return err
	}
	defer d.Close()
	hd := c.Writer.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	hd.Set(HeaderSHA256, d.SHA256)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": baseName(d.Path)}))
	c.Status(http.StatusOK)
	w := &stallWriter{w: c.Writer, rc: http.NewResponseController(c.Writer), stall: h.d.Options.BodyStall}
	if _, err := io.Copy(w, d); err != nil {
		httpapi.Logger(ctx).Warn("file download: the client did not take the whole file", "error", err)
	}
	return nil
}

func client(c *gin.Context) files.Client {
	return files.Client{IP: c.ClientIP(), UserAgent: c.Request.UserAgent(), RequestID: httpapi.RequestID(c.Request.Context())}
}

// baseName is the file name of a device path of either OS style.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	if p == "" || p == "." {
		return "download"
	}
	return path.Clean(p)
}

// stallReader pushes the connection's read deadline forward before each
// read, so a big body is limited by progress, not by the server's
// whole-request ReadTimeout.
// Once ctx ends (the server drains), reading stops with its cause.
type stallReader struct {
	ctx   context.Context
	r     io.Reader
	rc    *http.ResponseController
	stall time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	if s.ctx.Err() != nil {
		return 0, context.Cause(s.ctx)
	}
	_ = s.rc.SetReadDeadline(time.Now().Add(s.stall))
	if s.ctx.Err() != nil { // ended meanwhile: undo the push
		_ = s.rc.SetReadDeadline(time.Now())
	}
	return s.r.Read(p)
}

// stallWriter is stallReader's counterpart for the answer.
type stallWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
}

func (s *stallWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.stall))
	return s.w.Write(p)
}
