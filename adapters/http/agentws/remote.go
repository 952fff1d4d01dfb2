package agentws

import (
	"context"

	"github.com/breeze-rmm/breeze/protocol"
)

// Remote receives the agent's remote-work frames (the agent → server types
// protocol.RemoteFrom names: command acks and results, terminal output,
// file transfer frames) and hears when links come and go.
// deviceID is always the authenticated device.
type Remote interface {
	// FromAgent handles one frame; raw is the frame as the agent sent it.
	// An error wrapping domain.ErrInvalid or ErrNotFound (a result for a
	// command never sent to this device) is answered as a bad frame.
	FromAgent(ctx context.Context, deviceID, typ, id string, raw []byte) error
	// LinkUp runs after the welcome was queued; LinkDown after the link
	// ended (only for a link that said hello and was still the device's
	// current link on this node).
	LinkUp(ctx context.Context, deviceID string)
	LinkDown(ctx context.Context, deviceID string)
}

// SendRaw queues an encoded frame on this node's link of the device
// (relay.LocalLinks). Unlike Send, a full queue refuses the frame
// (queued=false) instead of dropping the link: remote work retries.
func (h *Hub) SendRaw(deviceID string, frame []byte) (held, queued bool) {
	h.mu.Lock()
	l := h.links[deviceID]
	h.mu.Unlock()
	if l == nil || l.isClosing() || !l.welcomed.Load() {
		return false, false
	}
	if len(frame) > protocol.MaxServerFrame {
		h.log.Error("frame for an agent too large; not sent", "device_id", deviceID, "bytes", len(frame))
		return true, false
	}
	queued, _ = l.offer(frame)
	return true, queued
}

// Holds reports whether this node has a welcomed live link of the device
// (relay.LocalLinks).
func (h *Hub) Holds(deviceID string) bool {
	h.mu.Lock()
	l := h.links[deviceID]
	h.mu.Unlock()
	return l != nil && !l.isClosing() && l.welcomed.Load()
}
