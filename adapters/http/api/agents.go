package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// agentRoutes: enrollment (public: the key is the credential). The link
// itself (GET /agents/:id/ws) is mounted by adapters/http/agentws.
func (h *handlers) agentRoutes(r *registrar) {
	r.add(http.MethodPost, "/agents/enroll", httpapi.Public(), "agents.enroll", "device", httpapi.Doc{
		Summary: "Enroll an agent with an enrollment key", Tag: "Agents",
		Description: "Creates a pending device in the key's site and answers its agent token (brz_...), once. " +
			"An unknown, expired, used-up or revoked key answers 401, all alike; attempts are limited per address (429 with Retry-After). " +
			"Fields this server does not know are ignored, as everywhere in the agent protocol.",
		Request: protocol.EnrollRequest{}, Response: protocol.EnrollResponse{}, Status: http.StatusCreated,
	}, h.enroll)
}

func (h *handlers) enroll(c *gin.Context) error {
	ctx := c.Request.Context()
	var in protocol.EnrollRequest
	if err := bindLenient(c, &in); err != nil {
		return err
	}
	out, err := h.d.Agents.Enroll(ctx, in, c.ClientIP())
	if err != nil {
		return err
	}
	noStore(c)
	c.Header("Location", Prefix+"/devices/"+out.DeviceID)
	c.JSON(http.StatusCreated, out)
	return nil
}

// bindLenient decodes one JSON object like httpapi.BindJSON but ignores
// unknown fields: the agent protocol adds fields without a version bump,
// and an older server must still enroll a newer agent.
func bindLenient(c *gin.Context, v any) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return httpapi.BindJSON(c, v) // answers the 415 the usual way
	}
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return domain.Invalidf("request body is empty")
	}
	dec := json.NewDecoder(c.Request.Body)
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return err
		case errors.Is(err, io.EOF):
			return domain.Invalidf("request body is empty")
		}
		return domain.Invalidf("malformed JSON body")
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return domain.Invalidf("request body must hold a single JSON value")
	}
	return nil
}

// agentBinary is the only shape of name /downloads serves: nothing else,
// so no path can reach outside the directory.
var agentBinary = regexp.MustCompile(`^breeze-agent-(linux|darwin|windows)-(amd64|arm64)(\.exe)?$`)

// downloadRoutes serves the agent binaries (public: the install command
// fetches them before any credential exists).
func (h *handlers) downloadRoutes(s *httpapi.Server) {
	s.HandleRoute(httpapi.Route{
		Method: http.MethodGet, Path: "/downloads/:file", Rule: httpapi.Public(), Name: "downloads.get",
		Doc: httpapi.Doc{
			Summary: "Download an agent binary", Tag: "Agents",
			Description: "file is breeze-agent-<linux|darwin|windows>-<amd64|arm64>[.exe].",
			ContentType: "application/octet-stream",
		},
	}, func(c *gin.Context) {
		if err := h.download(c); err != nil {
			httpapi.WriteError(c, err)
		}
	})
}

func (h *handlers) download(c *gin.Context) error {
	name := c.Param("file")
	if h.d.DownloadDir == "" || !agentBinary.MatchString(name) {
		return domain.NotFoundf("no such download")
	}
	f, err := os.Open(filepath.Join(h.d.DownloadDir, name))
	if errors.Is(err, os.ErrNotExist) {
		return domain.NotFoundf("no such download")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return domain.NotFoundf("no such download")
	}
	c.Header("Content-Type", "application/octet-stream")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(c.Writer, c.Request, name, st.ModTime(), f)
	return nil
}
