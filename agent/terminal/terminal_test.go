package terminal

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// sink collects what a manager sends.
type sink struct {
	mu      sync.Mutex
	out     map[string]*strings.Builder
	running map[string]bool // sessions that sent the empty "started" output
	closed  chan protocol.TerminalClosed
}

func newSink() *sink {
	return &sink{out: map[string]*strings.Builder{}, running: map[string]bool{}, closed: make(chan protocol.TerminalClosed, 64)}
}

func (s *sink) Send(_ context.Context, v any) error {
	switch f := v.(type) {
	case protocol.TerminalOutput:
		s.mu.Lock()
		if s.out[f.ID] == nil {
			s.out[f.ID] = &strings.Builder{}
		}
		s.out[f.ID].Write(f.Data)
		if len(f.Data) == 0 {
			s.running[f.ID] = true
		}
		s.mu.Unlock()
	case protocol.TerminalClosed:
		s.closed <- f
	}
	return nil
}

func (s *sink) output(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out[id] == nil {
		return ""
	}
	return s.out[id].String()
}

func (s *sink) waitOutput(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.output(id), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("output of %s never contained %q; got %q", id, want, s.output(id))
}

func (s *sink) waitClosed(t *testing.T, within time.Duration) protocol.TerminalClosed {
	t.Helper()
	select {
	case c := <-s.closed:
		return c
	case <-time.After(within):
		t.Fatalf("no terminal_closed within %v", within)
		return protocol.TerminalClosed{}
	}
}

func frame(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hdr(typ, id string) protocol.Header { return protocol.Header{Type: typ, ID: id} }

func TestOpenEchoResizeClose(t *testing.T) {
	s := newSink()
	m := New(Deps{Sender: s})
	ctx := context.Background()
	m.Handle(ctx, protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, "t1"), Cols: 100, Rows: 30, Shell: "/bin/sh"}))
	if m.Count() != 1 {
		t.Fatalf("sessions %d", m.Count())
	}
	m.Handle(ctx, protocol.TypeTerminalInput, frame(t, protocol.TerminalInput{Header: hdr(protocol.TypeTerminalInput, "t1"), Data: []byte("echo $((6*7))\n")}))
	s.waitOutput(t, "t1", "42")
	m.Handle(ctx, protocol.TypeTerminalResize, frame(t, protocol.TerminalResize{Header: hdr(protocol.TypeTerminalResize, "t1"), Cols: 132, Rows: 43}))
	m.Handle(ctx, protocol.TypeTerminalInput, frame(t, protocol.TerminalInput{Header: hdr(protocol.TypeTerminalInput, "t1"), Data: []byte("stty size\n")}))
	s.waitOutput(t, "t1", "43 132")
	m.Handle(ctx, protocol.TypeTerminalClose, frame(t, protocol.TerminalClose{Header: hdr(protocol.TypeTerminalClose, "t1")}))
	if c := s.waitClosed(t, 5*time.Second); c.ID != "t1" || c.Reason != ReasonClosed {
		t.Fatalf("closed %+v", c)
	}
	if m.Count() != 0 {
		t.Fatalf("sessions %d after close", m.Count())
	}
}

func TestShellExitReportsCode(t *testing.T) {
	s := newSink()
	m := New(Deps{Sender: s})
	m.Handle(context.Background(), protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, "t2"), Shell: "sh"}))
	m.Handle(context.Background(), protocol.TypeTerminalInput, frame(t, protocol.TerminalInput{Header: hdr(protocol.TypeTerminalInput, "t2"), Data: []byte("echo bye; exit 7\n")}))
	c := s.waitClosed(t, 5*time.Second)
	if c.Reason != ReasonExited || c.ExitCode == nil || *c.ExitCode != 7 {
		t.Fatalf("closed %+v", c)
	}
	if !strings.Contains(s.output("t2"), "bye") {
		t.Fatalf("last output lost: %q", s.output("t2"))
	}
}

func TestIdleTimeoutAndLimit(t *testing.T) {
	s := newSink()
	m := New(Deps{Sender: s, MaxSessions: 2})
	ctx := context.Background()
	open := func(id string, idle int) {
		m.Handle(ctx, protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, id), Shell: "/bin/sh", IdleTimeoutSeconds: idle}))
	}
	open("a", 1)
	open("b", 600)
	open("c", 600) // over the limit
	c := s.waitClosed(t, 2*time.Second)
	if c.ID != "c" || c.Reason != ReasonRefused {
		t.Fatalf("want c refused, got %+v", c)
	}
	start := time.Now()
	c = s.waitClosed(t, 5*time.Second)
	if c.ID != "a" || c.Reason != ReasonIdle {
		t.Fatalf("want a idle, got %+v", c)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle close took %v", d)
	}
	m.CloseAll(ReasonClosed)
	if c := s.waitClosed(t, 5*time.Second); c.ID != "b" {
		t.Fatalf("closed %+v", c)
	}
	if m.Count() != 0 {
		t.Fatalf("sessions %d", m.Count())
	}
}

// A started PTY is announced with an empty terminal_output (the server then
// answers the browser "ready"); a refused session never is.
func TestStartedIsAnnouncedRefusalIsNot(t *testing.T) {
	s := newSink()
	m := New(Deps{Sender: s, MaxSessions: 1})
	ctx := context.Background()
	m.Handle(ctx, protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, "ok"), Shell: "/bin/sh"}))
	m.Handle(ctx, protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, "over"), Shell: "/bin/sh"}))
	if c := s.waitClosed(t, 2*time.Second); c.ID != "over" || c.Reason != ReasonRefused {
		t.Fatalf("want over refused, got %+v", c)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		ok, over := s.running["ok"], s.running["over"]
		s.mu.Unlock()
		if over {
			t.Fatal("a refused session was announced as started")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the started session was never announced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.CloseAll(ReasonClosed)
}
