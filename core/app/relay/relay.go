// Package relay moves frames between server nodes and agents: a frame for
// an agent reaches the node holding its live link (presence registry +
// bus), and an agent's stream frames (terminal output, file chunks) reach
// whoever subscribed to that stream, on any node. The embedded profile runs
// the same code over the in-process bus and registry.
package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// ErrNotLinked: no node holds a live link of the device right now.
var ErrNotLinked = errors.New("relay: device not linked")

// ErrNotDelivered: the node holding the link could not queue the frame
// (its send queue was full, or the link closed meanwhile).
var ErrNotDelivered = errors.New("relay: frame not delivered")

// LocalLinks is this node's link table (the WebSocket hub).
type LocalLinks interface {
	// SendRaw queues an encoded frame on this node's link of the device.
	// held: this node has a link of it; queued: the frame was taken.
	SendRaw(deviceID string, frame []byte) (held, queued bool)
	// Holds reports whether this node has a welcomed link of the device.
	Holds(deviceID string) bool
}

// Defaults.
const (
	DefaultClaimTTL = 90 * time.Second
	// DefaultNodeTTL is how long a node's liveness claim outlives it.
	DefaultNodeTTL  = 10 * time.Second
	nodeTopicPrefix = "node."
	streamPrefix    = "stream."
)

// Deps are the relay's collaborators.
type Deps struct {
	Bus      ports.Bus
	Registry ports.PresenceRegistry
	// NodeID names this server node (unique among the nodes sharing a bus).
	NodeID string
	Links  LocalLinks
	Logger ports.Logger
	// ClaimTTL is how long a presence claim lives; claims are renewed every
	// ClaimTTL/3 while the link lives (default 90 s).
	ClaimTTL time.Duration
	// NodeTTL is how long the node's liveness claim (alive:<node>) lives;
	// it is renewed every second, so a killed node is known dead within it
	// (HolderDied). Default 10 s.
	NodeTTL time.Duration
}

// reclaimEvery is how often claims are retried after a renewal failed
// (the registry was away): presence is back within this of its return.
const reclaimEvery = time.Second

// Relay implements the routing. Safe for concurrent use.
type Relay struct {
	d Deps

	mu      sync.Mutex
	claimed map[string]struct{} // devices linked to this node

	// reclaimed is signalled when claims are whole again after a renewal
	// failed: frames sent meanwhile may be lost, so what waits for these
	// devices is delivered again (see Reclaimed).
	reclaimed chan struct{}
}

// New checks deps.
func New(d Deps) (*Relay, error) {
	if d.Bus == nil || d.Registry == nil || d.Links == nil || d.NodeID == "" {
		return nil, errors.New("relay: Bus, Registry, Links and NodeID are required")
	}
	if err := ports.ValidateTopic(nodeTopicPrefix + d.NodeID); err != nil {
		return nil, fmt.Errorf("relay: node id: %w", err)
	}
	if d.ClaimTTL <= 0 {
		d.ClaimTTL = DefaultClaimTTL
	}
	if d.NodeTTL <= 0 {
		d.NodeTTL = DefaultNodeTTL
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	return &Relay{d: d, claimed: map[string]struct{}{}, reclaimed: make(chan struct{}, 1)}, nil
}

// NodeID is this node's id.
func (r *Relay) NodeID() string { return r.d.NodeID }

// envelope carries a frame for an agent to the node holding its link.
type envelope struct {
	DeviceID string          `json:"d"`
	Frame    json.RawMessage `json:"f"`
}

// ToAgent delivers frame (a value to encode, or json.RawMessage / []byte
// already encoded) to the device's live link, wherever it is. Delivery is
// at most once: a nil error means the frame was queued on this node's link
// or handed to the bus for the holding node.
func (r *Relay) ToAgent(ctx context.Context, deviceID string, frame any) error {
	raw, err := encode(frame)
	if err != nil {
		return err
	}
	if held, queued := r.d.Links.SendRaw(deviceID, raw); held {
		if !queued {
			return ErrNotDelivered
		}
		return nil
	}
	node, ok, err := r.d.Registry.Lookup(ctx, deviceID)
	if err != nil {
		return fmt.Errorf("relay: look up device: %w", err)
	}
	if !ok || node == r.d.NodeID {
		// Our own stale claim (the link just closed) is as good as none.
		return ErrNotLinked
	}
	return r.publish(ctx, node, deviceID, raw)
}

// publish hands an encoded frame to the node holding the device's link.
func (r *Relay) publish(ctx context.Context, node, deviceID string, raw []byte) error {
	payload, err := json.Marshal(envelope{DeviceID: deviceID, Frame: raw})
	if err != nil {
		return fmt.Errorf("relay: encode envelope: %w", err)
	}
	if err := r.d.Bus.Publish(ctx, nodeTopicPrefix+node, payload); err != nil {
		return fmt.Errorf("relay: publish to node %s: %w", node, err)
	}
	return nil
}

// Route is where a device's live link was when Locate looked: this node,
// another node, or none. A caller that must decide before it sends (store
// a command as sent or queued) locates once and sends along the route,
// rather than looking the device up twice.
type Route struct {
	deviceID string
	local    bool
	node     string // another node holding the link
	unknown  bool   // the registry did not answer: the send decides
}

// Linked reports whether some node held the link (an unanswered look-up
// counts as linked, so a command is not left waiting for nothing).
func (rt Route) Linked() bool { return rt.local || rt.node != "" || rt.unknown }

// Local reports whether this node holds the link.
func (rt Route) Local() bool { return rt.local }

// Found reports whether the look-up answered with a node holding the link
// (this one or another); an unanswered look-up is not found.
func (rt Route) Found() bool { return rt.local || rt.node != "" }

// Locate finds the node holding the device's link.
func (r *Relay) Locate(ctx context.Context, deviceID string) Route {
	rt := Route{deviceID: deviceID}
	if r.d.Links.Holds(deviceID) {
		rt.local = true
		return rt
	}
	node, ok, err := r.d.Registry.Lookup(ctx, deviceID)
	switch {
	case err != nil:
		rt.unknown = true
	case ok && node != r.d.NodeID:
		rt.node = node
	}
	return rt
}

// SendTo delivers frame along rt (see ToAgent for what a nil error means).
// A route that no longer holds (the local link closed meanwhile, or the
// look-up had failed) falls back to a fresh ToAgent.
func (r *Relay) SendTo(ctx context.Context, rt Route, frame any) error {
	raw, err := encode(frame)
	if err != nil {
		return err
	}
	switch {
	case rt.local:
		if held, queued := r.d.Links.SendRaw(rt.deviceID, raw); held {
			if !queued {
				return ErrNotDelivered
			}
			return nil
		}
	case rt.node != "":
		return r.publish(ctx, rt.node, rt.deviceID, raw)
	case !rt.unknown:
		return ErrNotLinked
	}
	return r.ToAgent(ctx, rt.deviceID, raw)
}

// Reachable reports whether some node holds a live link of the device
// (this one, or another per the presence registry). A registry error
// counts as reachable: the send then decides.
func (r *Relay) Reachable(ctx context.Context, deviceID string) bool {
	return r.Locate(ctx, deviceID).Linked()
}

func encode(frame any) ([]byte, error) {
	switch f := frame.(type) {
	case json.RawMessage:
		return f, nil
	case []byte:
		return f, nil
	}
	raw, err := json.Marshal(frame)
	if err != nil {
		return nil, fmt.Errorf("relay: encode frame: %w", err)
	}
	return raw, nil
}

// StreamTopic is the bus topic of one stream (a terminal session or a file
// transfer) of one device. The device is the authenticated one, so an
// agent can only ever write into its own device's streams.
func StreamTopic(deviceID, streamID string) string {
	return streamPrefix + deviceID + "." + streamID
}

// Subscribe opens the feed of a device's stream. Subscribe before sending
// the frame that opens the stream, so no answer is missed.
func (r *Relay) Subscribe(ctx context.Context, deviceID, streamID string) (ports.Subscription, error) {
	return r.d.Bus.Subscribe(ctx, StreamTopic(deviceID, streamID))
}

// Stream publishes an agent's stream frame (raw, as the agent sent it) to
// the stream's subscribers on every node.
func (r *Relay) Stream(ctx context.Context, deviceID, streamID string, raw []byte) error {
	return r.d.Bus.Publish(ctx, StreamTopic(deviceID, streamID), raw)
}

// Linked records that this node now holds the device's link (after a
// successful hello).
func (r *Relay) Linked(ctx context.Context, deviceID string) error {
	r.mu.Lock()
	r.claimed[deviceID] = struct{}{}
	r.mu.Unlock()
	return r.d.Registry.Claim(ctx, deviceID, r.d.NodeID, r.d.ClaimTTL)
}

// Unlinked forgets the device's link on this node (the claim is released
// only if it is still ours).
func (r *Relay) Unlinked(ctx context.Context, deviceID string) error {
	r.mu.Lock()
	delete(r.claimed, deviceID)
	r.mu.Unlock()
	return r.d.Registry.Release(ctx, deviceID, r.d.NodeID)
}

// Run serves this node's topic (frames for agents held here) and renews the
// presence claims until ctx ends. It closes ready (if not nil) once the
// node topic is subscribed and the first round of claims was tried.
func (r *Relay) Run(ctx context.Context, ready chan<- struct{}) error {
	sub, err := r.d.Bus.Subscribe(ctx, nodeTopicPrefix+r.d.NodeID)
	if err != nil {
		return fmt.Errorf("relay: subscribe to node topic: %w", err)
	}
	defer sub.Close()
	// The first round of claims is made before ready: a registry that
	// loses its data from then on is a loss this loop sees and repairs
	// (Reclaimed), never one that the first round silently covered.
	lost := !r.claimAll(ctx)
	if ready != nil {
		close(ready)
	}
	renew := time.NewTicker(r.d.ClaimTTL / 3)
	defer renew.Stop()
	// The registry is checked every reclaimEvery through a claim of the
	// node's own (the sentinel). When it fails or has vanished (Redis
	// restarted empty), the node first proves its topic receives again (a
	// probe it publishes to itself must come back: frames sent to it
	// before that are lost), then makes every claim again and signals
	// Reclaimed, within seconds rather than at the next renewal.
	check := time.NewTicker(reclaimEvery)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-sub.C():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("relay: node subscription ended")
			}
			if !r.isProbe(m.Payload) {
				r.deliver(m.Payload)
				continue
			}
			if lost && r.claimAll(ctx) {
				lost = false
				select {
				case r.reclaimed <- struct{}{}:
				default:
				}
			}
		case <-renew.C:
			if !r.claimAll(ctx) {
				lost = true
			}
		case <-check.C:
			r.claimAlive(ctx)
			if !lost && r.whole(ctx) {
				continue
			}
			lost = true
			if err := r.d.Bus.Publish(ctx, nodeTopicPrefix+r.d.NodeID, r.probe()); err != nil {
				r.d.Logger.Debug("relay: bus unavailable; retrying", "error", err)
			}
		}
	}
}

// probeKey marks the envelope a node sends itself to prove its topic works.
const probeKey = "probe:"

func (r *Relay) probe() []byte {
	raw, _ := json.Marshal(envelope{DeviceID: probeKey + r.d.NodeID})
	return raw
}

func (r *Relay) isProbe(payload []byte) bool {
	if !bytes.Contains(payload, []byte(probeKey)) { // the common case, without a second decode
		return false
	}
	var env envelope
	return json.Unmarshal(payload, &env) == nil && env.DeviceID == probeKey+r.d.NodeID
}

// sentinel is the registry key of the node's own claim.
func (r *Relay) sentinel() string { return "node:" + r.d.NodeID }

// aliveOf is the registry key of a node's liveness claim.
func aliveOf(nodeID string) string { return "alive:" + nodeID }

// whole reports whether the registry still holds the node's sentinel claim.
func (r *Relay) whole(ctx context.Context) bool {
	node, ok, err := r.d.Registry.Lookup(ctx, r.sentinel())
	return err == nil && ok && node == r.d.NodeID
}

// claimAlive renews the node's liveness claim. It is not the sentinel:
// renewing that would hide a registry that restarted empty from whole. A
// failure shows at the next check.
func (r *Relay) claimAlive(ctx context.Context) {
	_ = r.d.Registry.Claim(ctx, aliveOf(r.d.NodeID), r.d.NodeID, r.d.NodeTTL)
}

// HolderDied reports whether the device's presence claim names another
// node that is gone: a node renews its liveness claim every reclaimEvery,
// so a node killed with its links is known dead within NodeTTL, while the
// claims it held live on for up to ClaimTTL. A released
// claim (a link that closed) or a live holder is false.
func (r *Relay) HolderDied(ctx context.Context, deviceID string) (bool, error) {
	if r.d.Links.Holds(deviceID) {
		return false, nil
	}
	node, ok, err := r.d.Registry.Lookup(ctx, deviceID)
	if err != nil || !ok || node == r.d.NodeID {
		return false, err
	}
	holder, ok, err := r.d.Registry.Lookup(ctx, aliveOf(node))
	if err != nil {
		return false, err
	}
	return !ok || holder != node, nil
}

// claimAll claims the sentinel and every device linked here.
func (r *Relay) claimAll(ctx context.Context) bool {
	r.claimAlive(ctx)
	if err := r.d.Registry.Claim(ctx, r.sentinel(), r.d.NodeID, r.d.ClaimTTL); err != nil {
		r.d.Logger.Warn("relay: presence registry unavailable; retrying", "error", err)
		return false
	}
	return r.renew(ctx)
}

// Reclaimed is signalled (coalesced) when this node's claims are whole
// again after the registry failed: commands handed to other nodes
// meanwhile may be lost, so the caller delivers its devices' pending work
// again (Held lists them).
func (r *Relay) Reclaimed() <-chan struct{} { return r.reclaimed }

// Held lists the devices linked to this node.
func (r *Relay) Held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.claimed))
	for id := range r.claimed {
		ids = append(ids, id)
	}
	return ids
}

func (r *Relay) deliver(payload []byte) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil || env.DeviceID == "" {
		r.d.Logger.Warn("relay: malformed envelope on the node topic", "error", err)
		return
	}
	if held, queued := r.d.Links.SendRaw(env.DeviceID, env.Frame); !held || !queued {
		r.d.Logger.Debug("relay: frame for a device not deliverable here", "device_id", env.DeviceID, "held", held)
	}
}

// renew re-claims every device linked here, all in one call (the
// registry pipelines them: one round trip per tick, not one per device);
// false when it failed.
func (r *Relay) renew(ctx context.Context) bool {
	held := r.Held()
	if len(held) == 0 || ctx.Err() != nil {
		return true
	}
	if err := r.d.Registry.ClaimAll(ctx, held, r.d.NodeID, r.d.ClaimTTL); err != nil {
		r.d.Logger.Warn("relay: renewing presence claims failed; retrying", "devices", len(held), "error", err)
		return false
	}
	return true
}
