package remote

import (
	"context"
	"errors"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

type fakeCommands struct{ got []string }

func (f *fakeCommands) FromAgent(_ context.Context, _, typ string, _ []byte) error {
	f.got = append(f.got, typ)
	return nil
}
func (f *fakeCommands) DeliverPending(context.Context, string) {}

// Frames route by the protocol's table: command frames to the pipeline;
// the link's own, server → agent and unknown types are refused; a stream
// frame needs its stream's id.
func TestFromAgentRoutes(t *testing.T) {
	c := &fakeCommands{}
	r := New(Deps{Commands: c})
	ctx := context.Background()
	for _, typ := range []string{protocol.TypeCommandAck, protocol.TypeCommandResult} {
		if err := r.FromAgent(ctx, "d1", typ, "c1", []byte(`{}`)); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	if len(c.got) != 2 {
		t.Fatalf("commands got %v", c.got)
	}
	for _, typ := range []string{protocol.TypeHeartbeat, protocol.TypeCommand, protocol.TypeTerminalInput, "nope"} {
		if err := r.FromAgent(ctx, "d1", typ, "x", []byte(`{}`)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: %v", typ, err)
		}
	}
	if err := r.FromAgent(ctx, "d1", protocol.TypeTerminalOutput, "", []byte(`{}`)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("terminal output without an id: %v", err)
	}
	if len(c.got) != 2 {
		t.Fatalf("commands got %v", c.got)
	}
}
