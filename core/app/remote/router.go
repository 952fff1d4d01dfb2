// Package remote routes an agent's remote-work frames on the node that
// holds its link: command acks and results to the command pipeline,
// terminal and file frames to their stream's subscribers (on any node),
// and link up/down to the presence registry and pending-command delivery.
// It implements the hub's Remote (adapters/http/agentws).
package remote

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Commands is the command pipeline's side of the link.
type Commands interface {
	FromAgent(ctx context.Context, deviceID, typ string, raw []byte) error
	DeliverPending(ctx context.Context, deviceID string)
}

// FrameHandler handles one agent frame type; it must not block (the
// link's read loop waits for it).
type FrameHandler func(ctx context.Context, deviceID, typ string, raw []byte) error

// Deps are the router's collaborators.
type Deps struct {
	Relay    *relay.Relay
	Commands Commands
	Logger   ports.Logger
	// ByType are handlers of single frame types that take over from their
	// route's (protocol.TypeDiscoverPage → the discovery scans' intake).
	ByType map[string]FrameHandler
}

// Router implements agentws.Remote.
type Router struct {
	d      Deps
	routes map[protocol.Route]func(ctx context.Context, deviceID, typ, id string, raw []byte) error
	linked []func(ctx context.Context, deviceID string)
}

// OnLinkUp adds f to what runs when an agent links to this node (after
// its pending commands; discovery sends the watch list). Call it before
// the hub serves.
func (r *Router) OnLinkUp(f func(ctx context.Context, deviceID string)) {
	r.linked = append(r.linked, f)
}

// New builds a router: one handler per remote-work route of the
// protocol's frame table.
func New(d Deps) *Router {
	r := &Router{d: d}
	r.routes = map[protocol.Route]func(ctx context.Context, deviceID, typ, id string, raw []byte) error{
		protocol.RouteCommand: func(ctx context.Context, deviceID, typ, _ string, raw []byte) error {
			return r.d.Commands.FromAgent(ctx, deviceID, typ, raw)
		},
		protocol.RouteTerminal: r.stream,
		protocol.RouteFile:     r.stream,
	}
	return r
}

// Handle installs h for one frame type, like Deps.ByType, for a capability
// built after the router (discovery's scans). Call it before the hub
// serves: the handlers are read without a lock.
func (r *Router) Handle(typ string, h FrameHandler) {
	if r.d.ByType == nil {
		r.d.ByType = map[string]FrameHandler{}
	}
	r.d.ByType[typ] = h
}

// FromAgent implements agentws.Remote.
func (r *Router) FromAgent(ctx context.Context, deviceID, typ, id string, raw []byte) error {
	spec, ok := protocol.Frame(typ)
	route := r.routes[spec.Route]
	if !ok || !spec.Remote() || !spec.From(protocol.ToServer) || route == nil {
		return domain.Invalidf("not a remote-work frame from an agent: %q", domain.Abbrev(typ, 64))
	}
	if h := r.d.ByType[typ]; h != nil {
		return h(ctx, deviceID, typ, raw)
	}
	return route(ctx, deviceID, typ, id, raw)
}

// stream publishes a terminal or file frame: whoever opened the stream
// listens on its topic; nobody listening (a stale session) costs one
// publish.
func (r *Router) stream(ctx context.Context, deviceID, typ, id string, raw []byte) error {
	if id == "" {
		return domain.Invalidf("a %s frame needs the id of its stream", typ)
	}
	return r.d.Relay.Stream(ctx, deviceID, id, raw)
}

// LinkUp implements agentws.Remote: claim the device for this node, then
// deliver what waited for it.
func (r *Router) LinkUp(ctx context.Context, deviceID string) {
	if err := r.d.Relay.Linked(ctx, deviceID); err != nil && r.d.Logger != nil {
		r.d.Logger.Warn("presence claim failed", "device_id", deviceID, "error", err)
	}
	r.d.Commands.DeliverPending(ctx, deviceID)
	for _, f := range r.linked {
		f(ctx, deviceID)
	}
}

// LinkDown implements agentws.Remote.
func (r *Router) LinkDown(ctx context.Context, deviceID string) {
	if err := r.d.Relay.Unlinked(ctx, deviceID); err != nil && r.d.Logger != nil {
		r.d.Logger.Warn("presence release failed", "device_id", deviceID, "error", err)
	}
}

// Run delivers again what waits for this node's devices each time the
// relay's claims are whole after the presence registry failed or lost
// its data: a command stored queued because no route was known, or handed
// to the bus while it was away, reaches the agent without waiting for it
// to relink (the agent answers a repeat from its memory). Until ctx ends.
func (r *Router) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.d.Relay.Reclaimed():
			for _, id := range r.d.Relay.Held() {
				if ctx.Err() != nil {
					return
				}
				r.d.Commands.DeliverPending(ctx, id)
			}
		}
	}
}
