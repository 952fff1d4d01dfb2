package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// DefaultMaxArchive caps a plugin archive download.
const DefaultMaxArchive = 64 << 20

// ErrArchiveHash: the downloaded archive is not the one offered.
var ErrArchiveHash = errors.New("plugin archive sha256 does not match the offer")

// fetcher downloads archives from the agent's server.
type fetcher struct {
	client       *http.Client
	server       func() string // the server URL in use
	token        config.Secret
	agentVersion string
	max          int64
}

// noRedirects keeps the token on the server the agent enrolled with.
func noRedirects(*http.Request, []*http.Request) error {
	return errors.New("plugin archive download redirected: refused")
}

// fetch writes o's archive to a new file in dir, checking size and
// SHA-256 as it streams; it returns the file (positioned at its start).
// A hash or size problem is a refusal (refused=true), anything else may
// pass on a later try.
func (f *fetcher) fetch(ctx context.Context, o protocol.PluginOffer, dir string) (file *os.File, refused bool, err error) {
	u, err := archiveURL(f.server(), o.ArchivePath)
	if err != nil {
		return nil, true, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, true, fmt.Errorf("archive request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token.Reveal())
	req.Header.Set("User-Agent", "breeze-agent/"+f.agentVersion)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("download archive: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, false, fmt.Errorf("download archive: server answered %s", resp.Status)
	}
	if resp.ContentLength > f.max {
		return nil, true, fmt.Errorf("archive of %d bytes exceeds the agent's limit of %d", resp.ContentLength, f.max)
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return nil, false, fmt.Errorf("archive file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, f.max+1))
	if err != nil {
		return nil, false, fmt.Errorf("download archive: %w", err)
	}
	if n > f.max {
		return nil, true, fmt.Errorf("archive exceeds the agent's limit of %d bytes", f.max)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != o.SHA256 {
		return nil, true, fmt.Errorf("%w (offered %s, got %s)", ErrArchiveHash, o.SHA256, got)
	}
	if o.Size > 0 && n != o.Size {
		return nil, true, fmt.Errorf("archive is %d bytes, offered as %d", n, o.Size)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, false, fmt.Errorf("archive file: %w", err)
	}
	keep = true
	return tmp, false, nil
}
