package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func (m *Manager) download(ctx context.Context, t *transfer, f protocol.FileDownload) {
	defer m.end(f.ID)
	defer t.cancel(nil)
	err := m.sendFile(t, f)
	cause := context.Cause(t.ctx)
	switch {
	case err == nil:
		m.log.Info("download sent", "id", f.ID, "path", f.Path)
	case errors.Is(cause, errAborted) || errors.Is(cause, errLinkDown):
		// the server gave up, or nobody is listening
	default:
		m.log.Warn("download failed", "id", f.ID, "path", f.Path, "error", err)
		_ = m.send(ctx, protocol.FileAbort{Header: hdr(protocol.TypeFileAbort, f.ID), Error: err.Error()})
	}
}

// ctxReader stops a long hash when the transfer ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}

func (m *Manager) sendFile(t *transfer, f protocol.FileDownload) error {
	src, err := m.roots.downloadSource(f.Path)
	if err != nil {
		return err
	}
	fh, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat() // the opened file: no swap between check and read
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", f.Path, fi.Mode().Type())
	}
	limit := m.d.MaxSize
	if f.MaxSize > 0 {
		limit = min(limit, f.MaxSize)
	}
	size := fi.Size()
	if size > limit {
		return fmt.Errorf("%s is %d bytes, over the limit of %d", f.Path, size, limit)
	}
	h := sha256.New()
	if n, err := io.Copy(h, ctxReader{t.ctx, fh}); err != nil {
		return fmt.Errorf("hash: %w", err)
	} else if n != size {
		return fmt.Errorf("%s changed size while being hashed", f.Path)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	if err := m.send(t.ctx, protocol.FileReady{Header: hdr(protocol.TypeFileReady, f.ID), Size: size, SHA256: sum}); err != nil {
		return fmt.Errorf("send file_ready: %w", err)
	}
	h.Reset()
	buf := make([]byte, protocol.FileChunkSize)
	var sent int64
	for seq := 0; ; seq++ {
		if err := m.awaitWindow(t, seq); err != nil {
			return err
		}
		n, err := io.ReadFull(fh, buf[:min(int64(len(buf)), size-sent)])
		if err != nil && n == 0 && size-sent > 0 {
			return fmt.Errorf("read: %w", err)
		}
		sent += int64(n)
		h.Write(buf[:n])
		last := sent == size
		if last && hex.EncodeToString(h.Sum(nil)) != sum {
			return fmt.Errorf("%s changed while being sent", f.Path)
		}
		c := protocol.FileChunk{Header: hdr(protocol.TypeFileChunk, f.ID), Seq: seq, Data: buf[:n], Last: last}
		if err := m.send(t.ctx, c); err != nil {
			return fmt.Errorf("send chunk %d: %w", seq, err)
		}
		if last {
			return nil
		}
		if n < len(buf) {
			return fmt.Errorf("%s shrank while being sent", f.Path)
		}
	}
}

// awaitWindow waits until chunk seq may go: at most FileWindow unacked.
func (m *Manager) awaitWindow(t *transfer, seq int) error {
	stall := time.NewTimer(m.d.StallTimeout)
	defer stall.Stop()
	for int64(seq)-t.acked.Load()-1 >= protocol.FileWindow {
		select {
		case <-t.ctx.Done():
			return context.Cause(t.ctx)
		case <-stall.C:
			return fmt.Errorf("%w: no ack for %s", errStalled, m.d.StallTimeout)
		case <-t.ackCh:
		}
	}
	return t.ctx.Err()
}
