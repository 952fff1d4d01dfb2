package terminal

import (
	"context"
	"encoding/json"
	"sync"
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
	Sender      Sender
	Logger      hclog.Logger
	MaxSessions int           // protocol.MaxTerminalSessions when 0
	DefaultIdle time.Duration // 30 min when 0
}

// Close reasons (TerminalClosed.Reason).
const (
	ReasonExited  = "exited"
	ReasonIdle    = "idle"
	ReasonRefused = "refused"
	ReasonClosed  = "closed"
)

// Manager holds the sessions of one agent.
type Manager struct {
	d   Deps
	log hclog.Logger

	mu       sync.Mutex
	sessions map[string]*session
	unsent   map[string]protocol.TerminalClosed // closes no link took yet (unsent.go)
}

// New returns a Manager.
func New(d Deps) *Manager {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.MaxSessions <= 0 {
		d.MaxSessions = protocol.MaxTerminalSessions
	}
	if d.DefaultIdle <= 0 {
		d.DefaultIdle = 30 * time.Minute
	}
	return &Manager{d: d, log: d.Logger.Named("terminal"), sessions: map[string]*session{}}
}

// Handle takes one terminal frame without blocking for long.
func (m *Manager) Handle(ctx context.Context, typ string, raw []byte) {
	switch typ {
	case protocol.TypeTerminalOpen:
		var f protocol.TerminalOpen
		if json.Unmarshal(raw, &f) != nil || f.ID == "" {
			m.log.Warn("ignoring a malformed terminal_open")
			return
		}
		m.open(ctx, f)
	case protocol.TypeTerminalInput:
		var f protocol.TerminalInput
		if json.Unmarshal(raw, &f) == nil {
			if s := m.get(f.ID); s != nil {
				s.input(f.Data)
			}
		}
	case protocol.TypeTerminalResize:
		var f protocol.TerminalResize
		if json.Unmarshal(raw, &f) == nil {
			if s := m.get(f.ID); s != nil {
				s.resize(f.Cols, f.Rows)
			}
		}
	case protocol.TypeTerminalClose:
		var f protocol.TerminalClose
		if json.Unmarshal(raw, &f) == nil {
			if s := m.get(f.ID); s != nil {
				go s.close(ReasonClosed)
			}
		}
	}
}

func (m *Manager) get(id string) *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

// Count is the number of live sessions.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

func (m *Manager) open(ctx context.Context, f protocol.TerminalOpen) {
	m.mu.Lock()
	_, dup := m.sessions[f.ID]
	full := len(m.sessions) >= m.d.MaxSessions
	if dup || full {
		m.mu.Unlock()
		m.log.Warn("refusing a terminal session", "id", f.ID, "duplicate", dup, "sessions", m.d.MaxSessions)
		go m.closed(ctx, f.ID, ReasonRefused, nil)
		return
	}
	s := &session{m: m, id: f.ID, ctx: context.WithoutCancel(ctx), in: make(chan []byte, 256), done: make(chan struct{})}
	m.sessions[f.ID] = s
	m.mu.Unlock()
	idle := m.d.DefaultIdle
	if f.IdleTimeoutSeconds > 0 {
		idle = time.Duration(f.IdleTimeoutSeconds) * time.Second
	}
	if err := s.start(f, idle); err != nil {
		m.log.Warn("cannot start a terminal", "id", f.ID, "error", err)
		m.remove(f.ID)
		go m.closed(ctx, f.ID, ReasonRefused, nil)
		return
	}
	m.log.Info("terminal opened", "id", f.ID, "cols", f.Cols, "rows", f.Rows)
	go m.running(ctx, f.ID)
}

// running tells the server the PTY started, with an empty terminal_output:
// the browser hears "ready" only then (a refusal is terminal_closed
// "refused" instead). Servers before this signal ignore empty output.
func (m *Manager) running(ctx context.Context, id string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = m.d.Sender.Send(sctx, protocol.TerminalOutput{Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: id}})
}

func (m *Manager) remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, id)
}

// closed tells the server a session ended.
func (m *Manager) closed(ctx context.Context, id, reason string, code *int) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	f := protocol.TerminalClosed{Header: protocol.Header{Type: protocol.TypeTerminalClosed, ID: id}, Reason: reason, ExitCode: code}
	if m.d.Sender.Send(sctx, f) != nil {
		m.keepUnsent(ctx, f)
	}
}

// CloseAll ends every session (link loss, agent stop) and waits for them.
func (m *Manager) CloseAll(reason string) {
	m.mu.Lock()
	ss := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		ss = append(ss, s)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close(reason)
		}()
	}
	wg.Wait()
}
