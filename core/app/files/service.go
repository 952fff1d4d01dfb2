// Package files moves files between the server and a device over the
// relay: chunked (protocol.FileChunkSize), flow-controlled (at most
// protocol.FileWindow chunks unacknowledged), SHA-256 checked end to end,
// size-limited, with a stall timeout. The server side spools each transfer
// to a temporary file first: an upload is hashed before the agent sees a
// byte, a download is verified before the caller sees one. Every transfer
// is audited once (remote.file.upload / remote.file.download).
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Defaults.
const (
	DefaultMaxBytes     = 256 << 20
	DefaultStallTimeout = 30 * time.Second
	auditTimeout        = 5 * time.Second
)

// ErrOffline: no node holds a live link of the device.
var ErrOffline = domain.Conflictf("the device is not connected right now")

// Relay is what the service needs of *relay.Relay.
type Relay interface {
	Subscribe(ctx context.Context, deviceID, streamID string) (ports.Subscription, error)
	ToAgent(ctx context.Context, deviceID string, frame any) error
	// Reachable reports whether some node holds the device's link.
	Reachable(ctx context.Context, deviceID string) bool
}

// AuditLog appends audit rows (ports.AuditStore implements it).
type AuditLog interface {
	Append(ctx context.Context, e *domain.AuditEntry) error
}

// Deps are the service's collaborators and settings.
type Deps struct {
	Relay   Relay
	Devices tickets.Devices
	Audit   AuditLog
	Logger  ports.Logger
	// MaxBytes bounds a file either way (default 256 MiB).
	MaxBytes int64
	// StallTimeout fails a transfer when the agent sends nothing for this
	// long while the server waits (default 30 s).
	StallTimeout time.Duration
	// TempDir holds the spooled transfers ("" = os.TempDir()).
	TempDir string
}

// Service runs transfers.
type Service struct{ d Deps }

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Relay == nil || d.Devices == nil || d.Audit == nil {
		return nil, errors.New("files: Relay, Devices and Audit are required")
	}
	if d.MaxBytes <= 0 {
		d.MaxBytes = DefaultMaxBytes
	}
	if d.StallTimeout <= 0 {
		d.StallTimeout = DefaultStallTimeout
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	return &Service{d: d}, nil
}

// MaxBytes is the size limit in force.
func (s *Service) MaxBytes() int64 { return s.d.MaxBytes }

// TooLargeError: a file above the limit. It wraps domain.ErrInvalid.
type TooLargeError struct{ Size, Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the file is %d bytes, over the limit of %d", e.Size, e.Limit)
}
func (e *TooLargeError) Unwrap() error         { return domain.ErrInvalid }
func (e *TooLargeError) PublicMessage() string { return e.Error() }

// Client describes the caller, for the audit row.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

// Result describes a file transferred.
type Result struct {
	Path   string
	Size   int64
	SHA256 string // hex
}

// UploadRequest is a file to write on a device.
type UploadRequest struct {
	DeviceID  string
	Path      string
	Overwrite bool
	Body      io.Reader
	Size      int64  // the declared size (Content-Length); required
	SHA256    string // optional hex digest the caller computed
	Client    Client
}

// Upload spools the body (at most Size bytes, within MaxBytes), hashes it,
// checks the caller's digest, then streams it to the agent and checks the
// agent's file_done against the same digest.
func (s *Service) Upload(ctx context.Context, p *domain.Principal, req UploadRequest) (*Result, error) {
	row := s.baseRow(p, req.DeviceID, req.Client, ActionUpload)
	res, err := s.upload(ctx, p, req, &row)
	s.record(ctx, row, res, req.Path, err)
	return res, err
}

func (s *Service) upload(ctx context.Context, p *domain.Principal, req UploadRequest, row *domain.AuditEntry) (*Result, error) {
	dev, clean, err := s.target(ctx, p, req.DeviceID, req.Path, row)
	if err != nil {
		return nil, err
	}
	if req.Size < 0 {
		return nil, domain.Invalidf("the body's length is required (Content-Length)")
	}
	if req.Size > s.d.MaxBytes {
		return nil, &TooLargeError{Size: req.Size, Limit: s.d.MaxBytes}
	}
	want := strings.ToLower(strings.TrimSpace(req.SHA256))
	if want != "" && !validHex256(want) {
		return nil, domain.Invalidf("the SHA-256 must be 64 hex digits")
	}
	// Refused before a byte of the body is read: a device that is not
	// linked cannot take it, and the client should not send it all first.
	if !s.d.Relay.Reachable(ctx, dev.ID) {
		return nil, ErrOffline
	}
	f, sum, err := s.spool(req.Body, req.Size)
	if err != nil {
		return nil, err
	}
	defer discard(f)
	res := &Result{Path: clean, Size: req.Size, SHA256: sum}
	if want != "" && want != sum {
		return res, domain.Invalidf("SHA-256 mismatch: the body hashes to %s, not %s", sum, want)
	}
	id := domain.NewID()
	if err := s.sendFile(ctx, dev.ID, id, f, protocol.FileUpload{
		Header: protocol.Header{Type: protocol.TypeFileUpload, ID: id}, Path: clean, Size: req.Size, SHA256: sum, Overwrite: req.Overwrite,
	}); err != nil {
		return res, err
	}
	return res, nil
}

// spool copies exactly size bytes of body to a temporary file and hashes them.
func (s *Service) spool(body io.Reader, size int64) (*os.File, string, error) {
	f, err := os.CreateTemp(s.d.TempDir, "breeze-upload-*")
	if err != nil {
		return nil, "", fmt.Errorf("files: spool: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, size+1))
	if err != nil {
		discard(f)
		return nil, "", fmt.Errorf("files: read the body: %w", err)
	}
	if n != size {
		discard(f)
		return nil, "", domain.Invalidf("the body is %s bytes, Content-Length said %d", countOf(n, size), size)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		discard(f)
		return nil, "", fmt.Errorf("files: spool: %w", err)
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

func countOf(n, size int64) string {
	if n > size {
		return "more than " + fmt.Sprint(size)
	}
	return fmt.Sprint(n)
}

// Download is a verified file ready to stream; Close removes the spool.
type Download struct {
	Result
	io.ReadCloser
}

// Download fetches a file from the device into a temporary file and
// verifies its size and SHA-256 against the agent's file_ready before
// returning it. The caller must Close the result.
func (s *Service) Download(ctx context.Context, p *domain.Principal, deviceID, path string, c Client) (*Download, error) {
	row := s.baseRow(p, deviceID, c, ActionDownload)
	d, err := s.download(ctx, p, deviceID, path, &row)
	var res *Result
	if d != nil {
		res = &d.Result
	}
	s.record(ctx, row, res, path, err)
	if err != nil {
		if d != nil {
			_ = d.Close()
		}
		return nil, err
	}
	return d, nil
}

func (s *Service) download(ctx context.Context, p *domain.Principal, deviceID, path string, row *domain.AuditEntry) (*Download, error) {
	dev, clean, err := s.target(ctx, p, deviceID, path, row)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.d.TempDir, "breeze-download-*")
	if err != nil {
		return nil, fmt.Errorf("files: spool: %w", err)
	}
	d := &Download{Result: Result{Path: clean}, ReadCloser: spooled{f}}
	id := domain.NewID()
	if err := s.receiveFile(ctx, dev.ID, id, clean, f, &d.Result); err != nil {
		return d, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return d, fmt.Errorf("files: spool: %w", err)
	}
	return d, nil
}

// target loads the device within p's remote:access scope and cleans the
// path for its OS.
func (s *Service) target(ctx context.Context, p *domain.Principal, deviceID, path string, row *domain.AuditEntry) (*domain.Device, string, error) {
	dev, err := tickets.CheckDevice(ctx, s.d.Devices, p, deviceID)
	if err != nil {
		return nil, "", err
	}
	row.PartnerID, row.OrgID = dev.PartnerID, dev.OrgID
	clean, err := CleanPath(path, dev.OS)
	if err != nil {
		return nil, "", err
	}
	return dev, clean, nil
}

// spooled removes its file on Close.
type spooled struct{ *os.File }

func (s spooled) Close() error {
	discard(s.File)
	return nil
}

func discard(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

func validHex256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// offline turns the relay's "no link" into the caller's error.
func offline(err error) error {
	if errors.Is(err, relay.ErrNotLinked) {
		return fmt.Errorf("%w (%v)", ErrOffline, err)
	}
	return fmt.Errorf("files: send to the agent: %w", err)
}
