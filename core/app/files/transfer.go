package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// ErrStalled: the agent sent nothing for StallTimeout.
var ErrStalled = fmt.Errorf("files: the agent stopped answering: %w", context.DeadlineExceeded)

// AgentError is a transfer the agent refused or abandoned (file_abort, or
// file_done with an error). It wraps domain.ErrConflict: the request was
// fine, the device could not do it.
type AgentError struct{ Msg string }

func (e *AgentError) Error() string         { return "the device refused the transfer: " + e.Msg }
func (e *AgentError) Unwrap() error         { return domain.ErrConflict }
func (e *AgentError) PublicMessage() string { return e.Error() }

// errCorrupt: what arrived is not what was announced.
func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("files: transfer corrupted: %w", domain.Conflictf(format, args...))
}

// stream is one transfer's conversation with the agent.
type stream struct {
	s        *Service
	deviceID string
	id       string
	sub      ports.Subscription
	stall    *time.Timer
}

func (s *Service) open(ctx context.Context, deviceID, id string) (*stream, error) {
	sub, err := s.d.Relay.Subscribe(ctx, deviceID, id)
	if err != nil {
		return nil, fmt.Errorf("files: subscribe to the stream: %w", err)
	}
	return &stream{s: s, deviceID: deviceID, id: id, sub: sub, stall: time.NewTimer(s.d.StallTimeout)}, nil
}

func (st *stream) close() {
	st.stall.Stop()
	_ = st.sub.Close()
}

func (st *stream) send(ctx context.Context, frame any) error {
	if err := st.s.d.Relay.ToAgent(ctx, st.deviceID, frame); err != nil {
		return offline(err)
	}
	return nil
}

// abort tells the agent to give up (best effort) and returns cause.
func (st *stream) abort(ctx context.Context, cause error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = st.s.d.Relay.ToAgent(actx, st.deviceID, protocol.FileAbort{
		Header: protocol.Header{Type: protocol.TypeFileAbort, ID: st.id}, Error: cause.Error(),
	})
	return cause
}

// next waits for the agent's next frame of this transfer.
func (st *stream) next(ctx context.Context) (string, []byte, error) {
	for {
		select {
		case <-ctx.Done():
			return "", nil, st.abort(ctx, context.Cause(ctx)) // the cause says why (shutting down, client gone)
		case <-st.stall.C:
			return "", nil, st.abort(ctx, ErrStalled)
		case m, ok := <-st.sub.C():
			if !ok {
				return "", nil, st.abort(ctx, errors.New("files: the stream subscription ended"))
			}
			typ, err := protocol.PeekType(m.Payload)
			if err != nil {
				continue
			}
			st.stall.Reset(st.s.d.StallTimeout)
			if typ == protocol.TypeFileAbort {
				var f protocol.FileAbort
				_ = json.Unmarshal(m.Payload, &f)
				return "", nil, &AgentError{Msg: f.Error}
			}
			return typ, m.Payload, nil
		}
	}
}

// sendFile streams f to the agent after the opening frame, keeping at
// most FileWindow chunks unacknowledged, then waits for file_done and
// checks it against the announced size and hash.
func (s *Service) sendFile(ctx context.Context, deviceID, id string, f io.Reader, up protocol.FileUpload) error {
	st, err := s.open(ctx, deviceID, id)
	if err != nil {
		return err
	}
	defer st.close()
	if err := st.send(ctx, up); err != nil {
		return err
	}
	chunks := int((up.Size + protocol.FileChunkSize - 1) / protocol.FileChunkSize)
	if chunks == 0 {
		chunks = 1 // an empty file still gets its Last chunk
	}
	buf := make([]byte, protocol.FileChunkSize)
	next, acked := 0, -1
	left := up.Size
	for {
		for next < chunks && next-acked-1 < protocol.FileWindow {
			n := int(min(left, protocol.FileChunkSize))
			if _, err := io.ReadFull(f, buf[:n]); err != nil {
				return st.abort(ctx, fmt.Errorf("files: read the spool: %w", err))
			}
			left -= int64(n)
			// ToAgent encodes the frame before it returns: buf can be reused.
			if err := st.send(ctx, protocol.FileChunk{
				Header: protocol.Header{Type: protocol.TypeFileChunk, ID: id}, Seq: next, Data: buf[:n], Last: next == chunks-1,
			}); err != nil {
				return st.abort(ctx, err)
			}
			next++
		}
		typ, raw, err := st.next(ctx)
		if err != nil {
			return err
		}
		switch typ {
		case protocol.TypeFileAck:
			var a protocol.FileAck
			if json.Unmarshal(raw, &a) == nil && a.Seq > acked && a.Seq < next {
				acked = a.Seq
			}
		case protocol.TypeFileDone:
			var d protocol.FileDone
			if err := json.Unmarshal(raw, &d); err != nil {
				return st.abort(ctx, errCorrupt("the device's answer is malformed"))
			}
			if d.Error != "" {
				return &AgentError{Msg: d.Error}
			}
			if next < chunks {
				return errCorrupt("the device finished before receiving the whole file")
			}
			if d.Size != up.Size || !equalHex(d.SHA256, up.SHA256) {
				return errCorrupt("the device wrote %d bytes hashing to %s; sent %d bytes hashing to %s", d.Size, d.SHA256, up.Size, up.SHA256)
			}
			return nil
		}
	}
}

// receiveFile asks for path, then takes file_ready and the chunks in
// order into f, acknowledging each, and verifies size and hash.
func (s *Service) receiveFile(ctx context.Context, deviceID, id, path string, f *os.File, res *Result) error {
	st, err := s.open(ctx, deviceID, id)
	if err != nil {
		return err
	}
	defer st.close()
	if err := st.send(ctx, protocol.FileDownload{
		Header: protocol.Header{Type: protocol.TypeFileDownload, ID: id}, Path: path, MaxSize: s.d.MaxBytes,
	}); err != nil {
		return err
	}
	var ready *protocol.FileReady
	h := sha256.New()
	var written int64
	seq := 0
	for {
		typ, raw, err := st.next(ctx)
		if err != nil {
			return err
		}
		switch typ {
		case protocol.TypeFileReady:
			if ready != nil {
				return st.abort(ctx, errCorrupt("file_ready came twice"))
			}
			ready = &protocol.FileReady{}
			if json.Unmarshal(raw, ready) != nil || ready.Size < 0 || !validHex256(lower(ready.SHA256)) {
				return st.abort(ctx, errCorrupt("the device's file_ready is malformed"))
			}
			if ready.Size > s.d.MaxBytes {
				return st.abort(ctx, &TooLargeError{Size: ready.Size, Limit: s.d.MaxBytes})
			}
			res.Size, res.SHA256 = ready.Size, lower(ready.SHA256)
			if ready.Size == 0 {
				return verify(h, 0, ready)
			}
		case protocol.TypeFileChunk:
			var c protocol.FileChunk
			if ready == nil || json.Unmarshal(raw, &c) != nil {
				return st.abort(ctx, errCorrupt("a chunk came before file_ready, or malformed"))
			}
			if c.Seq != seq {
				return st.abort(ctx, errCorrupt("chunk %d came when %d was due", c.Seq, seq))
			}
			if written+int64(len(c.Data)) > ready.Size {
				return st.abort(ctx, errCorrupt("the device sent more than the %d bytes it announced", ready.Size))
			}
			if _, err := f.Write(c.Data); err != nil {
				return st.abort(ctx, fmt.Errorf("files: write the spool: %w", err))
			}
			h.Write(c.Data)
			written += int64(len(c.Data))
			seq++
			if err := st.send(ctx, protocol.FileAck{Header: protocol.Header{Type: protocol.TypeFileAck, ID: id}, Seq: c.Seq}); err != nil {
				return st.abort(ctx, err)
			}
			if c.Last {
				return verify(h, written, ready)
			}
		}
	}
}

func verify(h interface{ Sum([]byte) []byte }, written int64, ready *protocol.FileReady) error {
	got := hex.EncodeToString(h.Sum(nil))
	if written != ready.Size || !equalHex(got, ready.SHA256) {
		return errCorrupt("received %d bytes hashing to %s; the device announced %d bytes hashing to %s", written, got, ready.Size, ready.SHA256)
	}
	return nil
}
