package update

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// MaxBinary caps a downloaded agent build.
const MaxBinary = 64 << 20

// ErrRefused marks a build the agent will not install whatever happens
// (a bad hash, size or signature): retrying the same offer is pointless.
var ErrRefused = errors.New("update refused")

// Stage writes the build read from body to path (created, synced,
// executable), checking its size and SHA-256 against the offer and the
// offer's signature against keys. On any error path is removed: nothing
// half-written is left next to the running executable.
func Stage(fsys FS, path string, body io.Reader, o protocol.UpdateOffer, keys []ed25519.PublicKey) (err error) {
	// The signature first: a build no trusted key signed is not downloaded.
	if err := protocol.VerifyRelease(keys, o.OS, o.Arch, o.Version, o.SHA256, o.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if o.Size <= 0 || o.Size > MaxBinary {
		return fmt.Errorf("%w: offered size %d outside (0, %d]", ErrRefused, o.Size, MaxBinary)
	}
	f, err := fsys.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = fsys.Remove(path)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, o.Size+1))
	if err != nil {
		return fmt.Errorf("download the build: %w", err)
	}
	if n != o.Size {
		return fmt.Errorf("%w: the build is %d bytes, offered as %d (truncated or padded)", ErrRefused, n, o.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, o.SHA256) {
		return fmt.Errorf("%w: the build's sha256 is %s, offered %s", ErrRefused, got, o.SHA256)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := fsys.Chmod(path, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}
