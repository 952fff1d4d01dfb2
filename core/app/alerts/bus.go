package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/ports"
)

// RulesTopic carries "the alert rules changed" between nodes (no
// payload): each recompiles at once instead of at its next periodic
// reload, which stays the safety net (the bus is at most once).
const RulesTopic = "alerts.rules.changed"

// announce tells the other nodes the rules changed.
func (s *Service) announce(ctx context.Context) {
	if s.d.Bus == nil {
		return
	}
	if err := s.d.Bus.Publish(ctx, RulesTopic, nil); err != nil {
		s.d.Logger.Warn("alert rule change not announced; other nodes see it at their next reload", "error", err)
	}
}

// watch is the evaluation job's bus feeds: rule changes and the live
// events (for device moves). The live events are drained on a goroutine
// of their own: they are every device's presence changes, and a link
// storm would fill their buffer behind the job's store work. A feed that
// ends is opened again at the next reload; a device event dropped on a
// full buffer forgets every device, since a move may have been missed.
type watch struct {
	s             *Service
	rules, events ports.Subscription
	dropped       uint64
	// eventsEnded is set by the drain when its feed's channel closed.
	eventsEnded atomic.Bool
}

func (w *watch) open(ctx context.Context) {
	bus := w.s.d.Bus
	if bus == nil {
		return
	}
	var err error
	if w.rules == nil {
		if w.rules, err = bus.Subscribe(ctx, RulesTopic); err != nil {
			w.s.d.Logger.Warn("alert rule changes of other nodes will be seen at the periodic reload", "error", err)
		}
	}
	if w.events == nil {
		if w.events, err = bus.Subscribe(ctx, events.Topic); err != nil {
			w.s.d.Logger.Warn("device moves will be seen at the next periodic reload", "error", err)
			w.s.ev.ForgetAll() // moves missed until then are caught at the next open
		} else {
			w.dropped = 0
			w.eventsEnded.Store(false)
			go w.drain(w.events)
		}
	}
}

// drain applies the device events of sub until its channel closes, then
// forgets every device (moves may be missed until the feed is back).
func (w *watch) drain(sub ports.Subscription) {
	for m := range sub.C() {
		w.s.deviceEvent(m.Payload)
	}
	w.s.ev.ForgetAll()
	w.eventsEnded.Store(true)
}

// check reopens ended feeds and forgets every device when device events
// were dropped since the last check.
func (w *watch) check(ctx context.Context) {
	if w.eventsEnded.Load() {
		w.ended(&w.events)
	}
	if w.events != nil {
		if n := w.events.Dropped(); n != w.dropped {
			w.dropped = n
			w.s.d.Logger.Warn("live events dropped: every device's alert state is rebuilt", "dropped", n)
			w.s.ev.ForgetAll()
		}
	}
	w.open(ctx)
}

func (w *watch) close() {
	if w.rules != nil {
		_ = w.rules.Close()
	}
	if w.events != nil {
		_ = w.events.Close()
	}
}

// rulesC and eventsC are the feeds' channels (nil: none, never ready).
func (w *watch) rulesC() <-chan ports.Message {
	if w.rules == nil {
		return nil
	}
	return w.rules.C()
}

// ended drops a feed whose channel closed (reopened at the next check).
func (w *watch) ended(sub *ports.Subscription) {
	if *sub != nil {
		_ = (*sub).Close()
		*sub = nil
	}
}

// deviceEvent forgets a device that moved or was decommissioned: its
// placement (and so the rules in its scope) is read again at its next
// sample, on whichever node holds its link.
func (s *Service) deviceEvent(payload []byte) {
	// Most events are presence changes: skip them without decoding.
	if !bytes.Contains(payload, []byte(agents.EventDeviceMoved)) && !bytes.Contains(payload, []byte(agents.EventDeviceDecommissioned)) {
		return
	}
	var e struct {
		Type     string `json:"type"`
		DeviceID string `json:"deviceId"`
	}
	if json.Unmarshal(payload, &e) != nil || e.DeviceID == "" {
		return
	}
	if e.Type == agents.EventDeviceMoved || e.Type == agents.EventDeviceDecommissioned {
		s.ev.Forget(e.DeviceID)
	}
}
