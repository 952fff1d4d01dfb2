// Package events carries what browsers see live (device status, command
// progress, run counts) over the bus to every node, where the events
// WebSocket filters them by each user's scope.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/ports"
)

// Topic is the bus topic of browser events.
const Topic = "events"

// Event types beyond the device ones of package agents.
const (
	TypeCommandUpdated = "command.updated"
	TypeRunUpdated     = "run.updated"
)

// Event is one browser event, as sent on the events WebSocket.
type Event struct {
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	PartnerID string          `json:"partnerId"`
	OrgID     string          `json:"orgId"`
	SiteID    string          `json:"siteId,omitempty"`
	DeviceID  string          `json:"deviceId,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// Publisher publishes events on the bus. Publishing never fails the work
// that caused it: an event lost is logged (browsers refetch on reconnect).
// Once Run is going, it never delays that work either: Publish queues the
// event and Run's one goroutine sends the queue in order (a command's
// queued → sent → running → done stay in order), so an API request or an
// agent's frame does not wait for a Redis round trip per event. Without
// Run (tests, tools), Publish sends at once.
type Publisher struct {
	Bus    ports.Bus
	Logger ports.Logger
	// Linger is how long Run lets the first event of a batch wait for
	// others (0: DefaultLinger). Browsers do not notice milliseconds; under
	// load the bus then sees one round trip where it saw dozens.
	Linger time.Duration

	mu      sync.Mutex
	queue   chan []byte // set by Run
	dropped int         // queue full or bus refused, since the last log line
}

// publishQueue holds events waiting for the bus; past it they are dropped
// (the bus is slower than the events for seconds: browsers catch up with
// their next fetch).
const publishQueue = 8192

// Publish sends e to every node.
func (p *Publisher) Publish(ctx context.Context, e Event) {
	if p == nil || p.Bus == nil {
		return
	}
	raw, err := json.Marshal(e)
	if err != nil {
		p.warn("event not published", "type", e.Type, "error", err)
		return
	}
	p.mu.Lock()
	q := p.queue
	if q != nil {
		select {
		case q <- raw:
		default:
			p.dropped++
		}
	}
	p.mu.Unlock()
	if q == nil {
		p.send(ctx, raw)
	}
}

// Run sends queued events until ctx ends, then what is still queued for up
// to drainFor, so a node stopping loses none it can still send. Events
// waiting together leave together, in order, in one PublishBatch (one
// Redis round trip for up to publishBatch events). Events the bus refused
// or the full queue dropped are logged as counts every 10 s, not one line
// each.
func (p *Publisher) Run(ctx context.Context) {
	if p == nil || p.Bus == nil {
		return
	}
	q := make(chan []byte, publishQueue)
	p.mu.Lock()
	p.queue = q
	p.mu.Unlock()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	var lastErr error
	batch := make([][]byte, 0, publishBatch)
	linger := p.Linger
	if linger <= 0 {
		linger = DefaultLinger
	}
	timer := time.NewTimer(linger)
	timer.Stop()
	for {
		select {
		case raw := <-q:
			batch = collect(ctx, q, append(batch[:0], raw), timer, linger)
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
			if err := p.Bus.PublishBatch(sctx, Topic, batch); err != nil {
				p.count(len(batch))
				lastErr = err
			}
			cancel()
		case <-tick.C:
			p.reportDrops(lastErr)
			lastErr = nil
		case <-ctx.Done():
			p.mu.Lock()
			p.queue = nil // from now on Publish sends at once
			p.mu.Unlock()
			p.drain(q, lastErr)
			return
		}
	}
}

// publishBatch bounds the events sent in one round trip.
const publishBatch = 64

// DefaultLinger is Publisher.Linger's default.
const DefaultLinger = 2 * time.Millisecond

// collect is gather, then waiting up to linger for more while the batch
// has room (ctx ending cuts the wait short).
func collect(ctx context.Context, q chan []byte, batch [][]byte, timer *time.Timer, linger time.Duration) [][]byte {
	batch = gather(q, batch)
	if len(batch) >= publishBatch {
		return batch
	}
	timer.Reset(linger)
	defer timer.Stop()
	for len(batch) < publishBatch {
		select {
		case raw := <-q:
			batch = append(batch, raw)
		case <-timer.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// gather adds to batch what q holds right now, up to publishBatch events.
func gather(q chan []byte, batch [][]byte) [][]byte {
	for len(batch) < publishBatch {
		select {
		case raw := <-q:
			batch = append(batch, raw)
		default:
			return batch
		}
	}
	return batch
}

// queued is the queue while Run goes (tests).
func (p *Publisher) queued() chan []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queue
}

// drainFor bounds the drain at shutdown; sendTimeout one queued send.
const (
	drainFor    = 2 * time.Second
	sendTimeout = 5 * time.Second
)

func (p *Publisher) drain(q chan []byte, lastErr error) {
	ctx, cancel := context.WithTimeout(context.Background(), drainFor)
	defer cancel()
	for {
		batch := gather(q, nil)
		if len(batch) == 0 {
			p.reportDrops(lastErr)
			return
		}
		if ctx.Err() != nil {
			p.count(len(batch))
			continue
		}
		if err := p.Bus.PublishBatch(ctx, Topic, batch); err != nil {
			p.count(len(batch))
			lastErr = err
		}
	}
}

// send publishes at once (no Run going).
func (p *Publisher) send(ctx context.Context, raw []byte) {
	if err := p.Bus.Publish(ctx, Topic, raw); err != nil {
		p.warn("event not published", "error", err)
	}
}

func (p *Publisher) count(n int) {
	p.mu.Lock()
	p.dropped += n
	p.mu.Unlock()
}

func (p *Publisher) reportDrops(lastErr error) {
	p.mu.Lock()
	n := p.dropped
	p.dropped = 0
	p.mu.Unlock()
	if n > 0 {
		p.warn("events not published (browsers catch up at their next fetch)", "events", n, "last_error", fmt.Sprint(lastErr))
	}
}

func (p *Publisher) warn(msg string, args ...any) {
	if p.Logger != nil {
		p.Logger.Warn(msg, args...)
	}
}

// PublishData is Publish with data encoded from v.
func (p *Publisher) PublishData(ctx context.Context, e Event, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		if p != nil && p.Logger != nil {
			p.Logger.Warn("event data not encodable", "type", e.Type, "error", err)
		}
		return
	}
	e.Data = raw
	p.Publish(ctx, e)
}

// Decode parses an event from the bus.
func Decode(raw []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("events: decode: %w", err)
	}
	return e, nil
}

// DeviceEvents adapts the Publisher to agents.Events (device status
// changes), still logging them through Next when set.
type DeviceEvents struct {
	Publisher *Publisher
	Next      agents.Events
}

// Publish implements agents.Events.
func (d DeviceEvents) Publish(ctx context.Context, e agents.Event) {
	if d.Next != nil {
		d.Next.Publish(ctx, e)
	}
	d.Publisher.PublishData(ctx, Event{
		Type: e.Type, At: e.At, PartnerID: e.PartnerID, OrgID: e.OrgID, SiteID: e.SiteID, DeviceID: e.DeviceID,
	}, struct {
		Hostname string `json:"hostname"`
		Status   string `json:"status"`
	}{e.Hostname, string(e.Status)})
}
