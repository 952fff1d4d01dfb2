// Package remote routes the link's remote-work frames to the command
// executor, the terminal manager and the file manager, and gives them one
// Sender that follows the link across reconnects.
package remote

import (
	"context"
	"sync"

	"github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/agent/files"
	"github.com/breeze-rmm/breeze/agent/link"
	"github.com/breeze-rmm/breeze/agent/terminal"
	"github.com/breeze-rmm/breeze/protocol"
)

// Dispatcher implements link.Remote. Set its handlers before the link runs
// (they take the Dispatcher as their Sender); a nil one ignores its frames.
type Dispatcher struct {
	Commands *commands.Executor
	Terminal *terminal.Manager
	Files    *files.Manager

	mu  sync.Mutex
	out link.Outbound
}

var _ link.Remote = (*Dispatcher)(nil)

// Send writes v on the current link; link.ErrLinkDown while there is none.
func (d *Dispatcher) Send(ctx context.Context, v any) error {
	d.mu.Lock()
	out := d.out
	d.mu.Unlock()
	if out == nil {
		return link.ErrLinkDown
	}
	return out.Send(ctx, v)
}

// Linked adopts the new session and re-sends results and terminal closes
// no link took yet.
func (d *Dispatcher) Linked(out link.Outbound) {
	d.mu.Lock()
	d.out = out
	d.mu.Unlock()
	if d.Commands != nil {
		acks, _ := out.(interface{ ResultAcks() bool })
		d.Commands.SetResultAcks(acks != nil && acks.ResultAcks())
		go d.Commands.Resend(context.Background())
	}
	if d.Terminal != nil {
		// Sessions the last link took with it: their servers hear why.
		go d.Terminal.ResendClosed(context.Background())
	}
}

// Unlinked ends every terminal and transfer: they do not survive a link.
// Commands keep running; their results wait for the next link.
func (d *Dispatcher) Unlinked() {
	d.mu.Lock()
	d.out = nil
	d.mu.Unlock()
	if d.Terminal != nil {
		go d.Terminal.CloseAll(terminal.ReasonLinkLost)
	}
	if d.Files != nil {
		go d.Files.CloseAll()
	}
}

// Handle routes one frame by its route in the protocol's frame table; it
// never blocks for long.
func (d *Dispatcher) Handle(ctx context.Context, typ string, raw []byte) {
	spec, ok := protocol.Frame(typ)
	if route := routes[spec.Route]; ok && route != nil {
		route(d, ctx, typ, raw)
	}
}

// routes hand each kind of remote work to its handler (nil: ignored).
var routes = map[protocol.Route]func(d *Dispatcher, ctx context.Context, typ string, raw []byte){
	protocol.RouteCommand: func(d *Dispatcher, ctx context.Context, typ string, raw []byte) {
		if d.Commands != nil {
			d.Commands.HandleFrame(ctx, typ, raw)
		}
	},
	protocol.RouteTerminal: func(d *Dispatcher, ctx context.Context, typ string, raw []byte) {
		if d.Terminal != nil {
			d.Terminal.Handle(ctx, typ, raw)
		}
	},
	protocol.RouteFile: func(d *Dispatcher, ctx context.Context, typ string, raw []byte) {
		if d.Files != nil {
			d.Files.Handle(ctx, typ, raw)
		}
	},
}

// Close ends terminals and transfers and waits for running commands
// (agent stop; the caller cancels their context first).
func (d *Dispatcher) Close() {
	if d.Terminal != nil {
		d.Terminal.CloseAll(terminal.ReasonClosed)
	}
	if d.Files != nil {
		d.Files.CloseAll()
	}
	if d.Commands != nil {
		d.Commands.Wait()
	}
}
