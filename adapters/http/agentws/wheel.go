package agentws

import (
	"context"
	"sync"
	"time"
)

// wheel is the hub's one clock for its links, instead of a ticker and a
// timer per link: the links sit in slots (intrusive lists, nothing
// allocated per link), and every tick the wheel moves to the next slot and
// asks each link there for a ping, so each link is pinged once every
// PingInterval. Each tick also closes the links whose hello is overdue
// (few: at most MaxPendingHellos wait for one).
type wheel struct {
	hub  *Hub
	tick time.Duration

	mu    sync.Mutex
	slots []*link // heads of the slots' lists
	cur   int     // the slot last walked
	due   []*link // scratch: the links of the slot being walked
}

// newWheel sizes the wheel: ticks of a tenth of the shorter of the ping
// interval and the hello timeout (10 ms to 1 s), and as many slots as
// ticks fit in a ping interval.
func newWheel(h *Hub) *wheel {
	o := h.opts
	tick := min(o.PingInterval, o.HelloTimeout) / 10
	tick = max(min(tick, time.Second), 10*time.Millisecond)
	n := int((o.PingInterval + tick - 1) / tick)
	return &wheel{hub: h, tick: tick, slots: make([]*link, max(n, 1))}
}

// add puts l in the slot walked last, so its first ping comes a ping
// interval from now.
func (w *wheel) add(l *link) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l.wSlot = w.cur
	l.wPrev, l.wNext = nil, w.slots[w.cur]
	if l.wNext != nil {
		l.wNext.wPrev = l
	}
	w.slots[w.cur] = l
}

func (w *wheel) remove(l *link) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l.wSlot < 0 {
		return
	}
	if l.wPrev != nil {
		l.wPrev.wNext = l.wNext
	} else {
		w.slots[l.wSlot] = l.wNext
	}
	if l.wNext != nil {
		l.wNext.wPrev = l.wPrev
	}
	l.wPrev, l.wNext, l.wSlot = nil, nil, -1
}

// run turns the wheel until ctx ends.
func (w *wheel) run(ctx context.Context) {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			w.turn(now)
		}
	}
}

// turn walks the next slot (pings) and the pending hellos (deadline).
func (w *wheel) turn(now time.Time) {
	w.mu.Lock()
	w.cur = (w.cur + 1) % len(w.slots)
	due := w.due[:0]
	for l := w.slots[w.cur]; l != nil; l = l.wNext {
		due = append(due, l)
	}
	w.due = due
	w.mu.Unlock()
	// Pinging only flags the link and starts its writer: it never blocks.
	for i, l := range due {
		l.ping()
		due[i] = nil
	}
	for _, l := range w.hub.pending.overdue(now.Add(-w.hub.opts.HelloTimeout)) {
		l.helloOverdue()
	}
}
