package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func (m *Manager) upload(ctx context.Context, t *transfer, f protocol.FileUpload) {
	defer m.end(f.ID)
	defer t.cancel(nil)
	done := protocol.FileDone{Header: hdr(protocol.TypeFileDone, f.ID)}
	if err := m.receive(t, f); err != nil {
		done.Error = err.Error()
		m.log.Warn("upload failed", "id", f.ID, "path", f.Path, "error", err)
	} else {
		done.Size, done.SHA256 = f.Size, strings.ToLower(f.SHA256)
		m.log.Info("upload written", "id", f.ID, "path", f.Path, "size", f.Size)
	}
	if errors.Is(context.Cause(t.ctx), errLinkDown) {
		return // nobody to tell
	}
	_ = m.send(ctx, done)
}

// receive writes the chunks to a temporary file beside the target and
// renames it into place once size and hash match; on any failure the
// temporary file is removed.
func (m *Manager) receive(t *transfer, f protocol.FileUpload) (err error) {
	target, err := m.roots.uploadTarget(f.Path)
	if err != nil {
		return err
	}
	want, err := hex.DecodeString(f.SHA256)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("sha256 %q is not a hex SHA-256", f.SHA256)
	}
	if f.Size < 0 || f.Size > m.d.MaxSize {
		return fmt.Errorf("size %d is outside 0..%d", f.Size, m.d.MaxSize)
	}
	if !f.Overwrite {
		if _, err := os.Lstat(target); err == nil {
			return fmt.Errorf("%s exists and overwrite is off", f.Path)
		}
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, ".breeze-upload-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var n int64
	next := 0
	stall := time.NewTimer(m.d.StallTimeout)
	defer stall.Stop()
	for last := false; !last; {
		select {
		case <-t.ctx.Done():
			return context.Cause(t.ctx)
		case <-stall.C:
			return fmt.Errorf("%w: no chunk for %s", errStalled, m.d.StallTimeout)
		case c := <-t.chunks:
			if c.Seq != next {
				return fmt.Errorf("chunk %d out of order (want %d)", c.Seq, next)
			}
			if n+int64(len(c.Data)) > f.Size {
				return fmt.Errorf("more data than the announced %d bytes", f.Size)
			}
			if _, err := tmp.Write(c.Data); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			h.Write(c.Data)
			n += int64(len(c.Data))
			next++
			last = c.Last
			if err := m.send(t.ctx, protocol.FileAck{Header: hdr(protocol.TypeFileAck, f.ID), Seq: c.Seq}); err != nil {
				return fmt.Errorf("ack chunk %d: %w", c.Seq, err)
			}
			stall.Reset(m.d.StallTimeout)
		}
	}
	if n != f.Size {
		return fmt.Errorf("got %d bytes, %d announced", n, f.Size)
	}
	if got := h.Sum(nil); hex.EncodeToString(got) != hex.EncodeToString(want) {
		return fmt.Errorf("sha256 mismatch: got %x, want %x", got, want)
	}
	mode := fs.FileMode(f.Mode) & 0o777 // no setuid/setgid/sticky from the wire
	if mode == 0 {
		mode = 0o644
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := place(tmp.Name(), target, f.Overwrite); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// place moves tmp to target; without overwrite a hard link makes "target
// exists" and "put it there" one atomic step.
func place(tmp, target string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, target); err != nil {
			return fmt.Errorf("rename into place: %w", err)
		}
		return nil
	}
	err := os.Link(tmp, target)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists and overwrite is off", target)
	}
	if err != nil { // a filesystem without hard links: check, then rename
		if _, serr := os.Lstat(target); serr == nil {
			return fmt.Errorf("%s exists and overwrite is off", target)
		}
		if err := os.Rename(tmp, target); err != nil {
			return fmt.Errorf("rename into place: %w", err)
		}
		return nil
	}
	_ = os.Remove(tmp)
	return nil
}

// syncDir makes a rename durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
