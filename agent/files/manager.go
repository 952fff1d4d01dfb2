package files

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// Sender writes a frame to the server; it fails while no link is up.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Deps configure a Manager.
type Deps struct {
	Sender Sender
	Logger hclog.Logger
	// Roots, when set, are the only directories transfers may touch.
	Roots        []string
	StallTimeout time.Duration // without progress; 60 s
	MaxTransfers int           // concurrent; 8
	MaxSize      int64         // largest file either way; 4 GiB
}

// Errors that end a transfer from outside.
var (
	errAborted  = errors.New("aborted by the server")
	errLinkDown = errors.New("link lost")
	errStalled  = errors.New("transfer stalled")
)

// Manager runs the transfers of one agent.
type Manager struct {
	d     Deps
	log   hclog.Logger
	roots roots

	mu        sync.Mutex
	transfers map[string]*transfer
	wg        sync.WaitGroup
}

// transfer is one upload or download in progress.
type transfer struct {
	ctx    context.Context // ends with the cause from cancel
	cancel context.CancelCauseFunc
	chunks chan protocol.FileChunk // upload: chunks from the server
	acked  atomic.Int64            // download: highest acknowledged seq
	ackCh  chan struct{}           // download: an ack arrived (cap 1)
}

// New returns a Manager; it fails on a malformed root.
func New(d Deps) (*Manager, error) {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.StallTimeout <= 0 {
		d.StallTimeout = time.Minute
	}
	if d.MaxTransfers <= 0 {
		d.MaxTransfers = 8
	}
	if d.MaxSize <= 0 {
		d.MaxSize = 4 << 30
	}
	rs, err := resolveRoots(d.Roots)
	if err != nil {
		return nil, err
	}
	return &Manager{d: d, log: d.Logger.Named("files"), roots: rs, transfers: map[string]*transfer{}}, nil
}

// Handle takes one file frame without blocking for long.
func (m *Manager) Handle(ctx context.Context, typ string, raw []byte) {
	switch typ {
	case protocol.TypeFileUpload:
		var f protocol.FileUpload
		if json.Unmarshal(raw, &f) != nil || f.ID == "" {
			m.log.Warn("ignoring a malformed file_upload")
			return
		}
		if t := m.begin(ctx, f.ID, true); t != nil {
			go m.upload(ctx, t, f)
		} else {
			go m.send(ctx, protocol.FileDone{Header: hdr(protocol.TypeFileDone, f.ID), Error: "agent refused: too many transfers or a duplicate id"})
		}
	case protocol.TypeFileDownload:
		var f protocol.FileDownload
		if json.Unmarshal(raw, &f) != nil || f.ID == "" {
			m.log.Warn("ignoring a malformed file_download")
			return
		}
		if t := m.begin(ctx, f.ID, false); t != nil {
			go m.download(ctx, t, f)
		} else {
			go m.send(ctx, protocol.FileAbort{Header: hdr(protocol.TypeFileAbort, f.ID), Error: "agent refused: too many transfers or a duplicate id"})
		}
	case protocol.TypeFileChunk:
		var c protocol.FileChunk
		if json.Unmarshal(raw, &c) != nil {
			return
		}
		if t := m.get(c.ID); t != nil && t.chunks != nil {
			select {
			case t.chunks <- c:
			default: // the server ignored the window
				t.cancel(errors.New("server sent more chunks than the window allows"))
			}
		}
	case protocol.TypeFileAck:
		var a protocol.FileAck
		if json.Unmarshal(raw, &a) != nil {
			return
		}
		if t := m.get(a.ID); t != nil && t.ackCh != nil {
			for {
				cur := t.acked.Load()
				if int64(a.Seq) <= cur || t.acked.CompareAndSwap(cur, int64(a.Seq)) {
					break
				}
			}
			select {
			case t.ackCh <- struct{}{}:
			default:
			}
		}
	case protocol.TypeFileAbort:
		var a protocol.FileAbort
		_ = json.Unmarshal(raw, &a)
		if t := m.get(a.ID); t != nil {
			m.log.Info("server aborted a transfer", "id", a.ID, "error", a.Error)
			t.cancel(errAborted)
		}
	}
}

func (m *Manager) begin(ctx context.Context, id string, upload bool) *transfer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.transfers[id]; dup || len(m.transfers) >= m.d.MaxTransfers {
		return nil
	}
	tctx, cancel := context.WithCancelCause(ctx)
	t := &transfer{ctx: tctx, cancel: cancel}
	if upload {
		t.chunks = make(chan protocol.FileChunk, 2*protocol.FileWindow)
	} else {
		t.ackCh = make(chan struct{}, 1)
		t.acked.Store(-1)
	}
	m.transfers[id] = t
	m.wg.Add(1)
	return t
}

func (m *Manager) get(id string) *transfer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.transfers[id]
}

func (m *Manager) end(id string) {
	m.mu.Lock()
	delete(m.transfers, id)
	m.mu.Unlock()
	m.wg.Done()
}

// CloseAll aborts every transfer (link loss, agent stop) and waits for them.
func (m *Manager) CloseAll() {
	m.mu.Lock()
	for _, t := range m.transfers {
		t.cancel(errLinkDown)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Active is the number of transfers in progress.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.transfers)
}

func (m *Manager) send(ctx context.Context, v any) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return m.d.Sender.Send(sctx, v)
}

func hdr(typ, id string) protocol.Header { return protocol.Header{Type: typ, ID: id} }
