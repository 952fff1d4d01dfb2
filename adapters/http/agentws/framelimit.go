package agentws

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// allow counts a data frame in its class's sliding window; past the
// limit the link is closed (1008) and false returned.
func (l *link) allow(stream bool) bool {
	o := l.hub.opts
	now := time.Since(l.start)
	w, limit := &l.control, o.FrameLimit
	if stream {
		w, limit = &l.stream, o.StreamFrameLimit
	}
	if w.allow(now, limit, o.FrameWindow) {
		return true
	}
	l.hub.flooded.Add(1)
	l.hub.log.Warn("agent exceeded the frame limit; link closed", "device_id", l.deviceID,
		"limit", limit, "window", o.FrameWindow, "stream", stream)
	l.fail(codeRateLimited, fmt.Sprintf("more than %d frames in %s", limit, o.FrameWindow), websocket.ClosePolicyViolation)
	return false
}

// frameWindow is a sliding log of the arrival times (since the link's
// start) of the last limit frames, kept as a ring.
type frameWindow struct {
	times []time.Duration
	next  int
}

func (w *frameWindow) allow(now time.Duration, limit int, window time.Duration) bool {
	if len(w.times) < limit {
		w.times = append(w.times, now)
		return true
	}
	// The oldest of the last limit frames must have left the window.
	if now-w.times[w.next] < window {
		return false
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % limit
	return true
}
