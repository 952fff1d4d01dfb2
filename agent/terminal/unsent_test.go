package terminal

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// flaky is a sink whose link can be down.
type flaky struct {
	*sink
	down atomic.Bool
}

func (f *flaky) Send(ctx context.Context, v any) error {
	if f.down.Load() {
		return errors.New("link down")
	}
	return f.sink.Send(ctx, v)
}

// Sessions ended by a lost link are announced on the next link, once,
// with reason link_lost: the server (maybe another node) ends the
// browser's session at once instead of leaving it open on a dead PTY.
func TestLinkLostClosesAreSentOnTheNextLink(t *testing.T) {
	s := &flaky{sink: newSink()}
	m := New(Deps{Sender: s})
	ctx := context.Background()
	m.Handle(ctx, protocol.TypeTerminalOpen, frame(t, protocol.TerminalOpen{Header: hdr(protocol.TypeTerminalOpen, "t1"), Shell: "/bin/sh"}))
	s.waitOutput(t, "t1", "") // opened
	deadline := time.Now().Add(5 * time.Second)
	for m.Count() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.down.Store(true)
	m.CloseAll(ReasonLinkLost)
	select {
	case c := <-s.closed:
		t.Fatalf("a close went out with the link down: %+v", c)
	default:
	}
	m.ResendClosed(ctx) // still down: kept
	s.down.Store(false)
	m.ResendClosed(ctx)
	if c := s.waitClosed(t, 2*time.Second); c.ID != "t1" || c.Reason != ReasonLinkLost {
		t.Fatalf("want t1 link_lost, got %+v", c)
	}
	m.ResendClosed(ctx)
	select {
	case c := <-s.closed:
		t.Fatalf("a close was sent twice: %+v", c)
	case <-time.After(100 * time.Millisecond):
	}
}
