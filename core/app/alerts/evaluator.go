package alerts

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// compiled is an enabled rule ready to judge devices.
type compiled struct {
	rule    *domain.AlertRule
	sampled conditions.Sampled
	offline conditions.Offline
	event   conditions.Evented
	scope   map[string]bool
	exclude map[string]bool
}

// placement is where a device sits in the tenant tree.
type placement struct{ partnerID, orgID, siteID, groupID string }

func (c *compiled) covers(deviceID string, p placement) bool {
	r := c.rule
	if c.exclude[deviceID] || r.PartnerID != p.partnerID || (r.OrgID != "" && r.OrgID != p.orgID) {
		return false
	}
	switch r.ScopeKind {
	case domain.AlertScopePartner:
		return true
	case domain.AlertScopeOrg:
		return c.scope[p.orgID]
	case domain.AlertScopeSite:
		return c.scope[p.siteID]
	case domain.AlertScopeGroup:
		return p.groupID != "" && c.scope[p.groupID]
	case domain.AlertScopeDevices:
		return c.scope[deviceID]
	}
	return false
}

// ruleSet is one compiled generation of every enabled rule, by partner.
type ruleSet struct {
	gen       uint64
	byPartner map[string][]*compiled
	// hears marks the event kinds some rule judges (reports of other
	// kinds are skipped without a store read).
	hears map[conditions.EventKind]bool
}

func compile(gen uint64, rules []*domain.AlertRule) (*ruleSet, []error) {
	rs := &ruleSet{gen: gen, byPartner: map[string][]*compiled{}, hears: map[conditions.EventKind]bool{}}
	var errs []error
	for _, r := range rules {
		cond, _, err := conditions.Compile(r.Kind, r.Params)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c := &compiled{rule: r, scope: set(r.ScopeIDs), exclude: set(r.ExcludeDeviceIDs)}
		c.sampled, _ = cond.(conditions.Sampled)
		c.offline, _ = cond.(conditions.Offline)
		if c.event, _ = cond.(conditions.Evented); c.event != nil {
			rs.hears[c.event.Hears()] = true
		}
		rs.byPartner[r.PartnerID] = append(rs.byPartner[r.PartnerID], c)
	}
	return rs, errs
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// condState is one (rule, device) window.
type condState struct {
	since  time.Time // start of the current breach; zero when none
	firing bool      // an unresolved alert stands
	// seq is the sequence number of the last transition queued for this
	// window and not dropped (0: none): reconcile leaves a window alone
	// while its transition may still be on its way to the store.
	seq uint64
}

// deviceState is one device's rules in scope and their windows.
type deviceState struct {
	mu    sync.Mutex
	pl    placement
	gen   uint64
	rules []*compiled // sampled rules covering the device
	conds []condState // parallel to rules
	// open are the rule ids with an unresolved alert when the state was
	// built (kept until the rules are first matched).
	open map[string]bool
}

// refresh recomputes the rules in scope for a new generation, keeping the
// windows of rules that stay.
func (d *deviceState) refresh(deviceID string, rs *ruleSet) {
	old := make(map[string]condState, len(d.rules))
	for i, c := range d.rules {
		old[c.rule.ID] = d.conds[i]
	}
	d.rules, d.conds = d.rules[:0:0], d.conds[:0:0]
	for _, c := range rs.byPartner[d.pl.partnerID] {
		if c.sampled == nil || !c.covers(deviceID, d.pl) {
			continue
		}
		st, ok := old[c.rule.ID]
		if !ok && d.open[c.rule.ID] {
			st.firing = true
		}
		d.rules, d.conds = append(d.rules, c), append(d.conds, st)
	}
	d.open = nil
	d.gen = rs.gen
}

// transition is a change the evaluator asks the store to make.
type transition struct {
	open     bool
	seq      uint64
	rule     *domain.AlertRule
	deviceID string
	value    float64
	message  string
	at       time.Time
}

const shards = 64

// Evaluator judges heartbeats against the compiled rules with per-device
// windows in memory. Observe is the hot path: no store access, no
// blocking; a device seen for the first time is warmed up by the worker
// (its placement and unresolved alerts loaded once) and judged from its
// next sample on. Transitions are persisted by the worker.
type Evaluator struct {
	rules  atomic.Pointer[ruleSet]
	seed   maphash.Seed
	shards [shards]struct {
		mu      sync.RWMutex
		devices map[string]*deviceState
	}
	warm    chan string
	warming sync.Map
	out     chan transition
	dropped atomic.Uint64
	// seq numbers transitions as they are queued; applied is the highest
	// one the worker has handed to the store (queue order is FIFO).
	seq, applied atomic.Uint64
}

func newEvaluator(queue int) *Evaluator {
	e := &Evaluator{seed: maphash.MakeSeed(), warm: make(chan string, queue), out: make(chan transition, queue)}
	for i := range e.shards {
		e.shards[i].devices = map[string]*deviceState{}
	}
	e.rules.Store(&ruleSet{byPartner: map[string][]*compiled{}, hears: map[conditions.EventKind]bool{}})
	return e
}

func (e *Evaluator) shard(id string) int { return int(maphash.String(e.seed, id) % shards) }

// Observe judges one heartbeat of deviceID taken at at.
func (e *Evaluator) Observe(_ context.Context, deviceID string, at time.Time, hb *protocol.Heartbeat) {
	sh := &e.shards[e.shard(deviceID)]
	sh.mu.RLock()
	d := sh.devices[deviceID]
	sh.mu.RUnlock()
	if d == nil {
		if _, busy := e.warming.LoadOrStore(deviceID, true); !busy {
			select {
			case e.warm <- deviceID:
			default:
				e.warming.Delete(deviceID)
			}
		}
		return
	}
	rs := e.rules.Load()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen != rs.gen {
		d.refresh(deviceID, rs)
	}
	for i, c := range d.rules {
		v, breach, clear, ok := c.sampled.Check(hb)
		if !ok {
			continue
		}
		st := &d.conds[i]
		switch {
		case st.firing:
			if clear {
				st.firing, st.since = false, time.Time{}
				st.seq = e.emit(transition{rule: c.rule, deviceID: deviceID, value: v, at: at})
			}
		case breach:
			if st.since.IsZero() {
				st.since = at
			}
			if at.Sub(st.since) >= c.sampled.For() {
				st.firing = true
				st.seq = e.emit(transition{open: true, rule: c.rule, deviceID: deviceID, value: v, message: c.sampled.Describe(v), at: at})
			}
		default:
			st.since = time.Time{}
		}
	}
}

// emit queues t and returns its sequence number, or 0 when the queue is
// full: the transition is lost, and the next reconcile repairs the window
// from the store.
func (e *Evaluator) emit(t transition) uint64 {
	t.seq = e.seq.Add(1)
	select {
	case e.out <- t:
		return t.seq
	default:
		e.dropped.Add(1)
		return 0
	}
}

// Dropped counts transitions lost to a full queue.
func (e *Evaluator) Dropped() uint64 { return e.dropped.Load() }

// Tracks reports whether deviceID is warm: its samples are judged.
func (e *Evaluator) Tracks(deviceID string) bool {
	sh := &e.shards[e.shard(deviceID)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.devices[deviceID] != nil
}

// install sets a warmed device's state.
func (e *Evaluator) install(deviceID string, pl placement, open map[string]bool) {
	sh := &e.shards[e.shard(deviceID)]
	sh.mu.Lock()
	sh.devices[deviceID] = &deviceState{pl: pl, open: open, gen: ^uint64(0)}
	sh.mu.Unlock()
	e.warming.Delete(deviceID)
}

// Forget drops a device's state (it moved, or was decommissioned); it is
// warmed up again from its next sample.
func (e *Evaluator) Forget(deviceID string) {
	sh := &e.shards[e.shard(deviceID)]
	sh.mu.Lock()
	delete(sh.devices, deviceID)
	sh.mu.Unlock()
}

// ForgetAll drops every device's state (a device move may have been
// missed); each is warmed up again from its next sample.
func (e *Evaluator) ForgetAll() {
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		clear(sh.devices)
		sh.mu.Unlock()
	}
}

// reconcile sets every warm window's firing flag to what the store holds:
// open maps device → rule ids with an unresolved alert, read after every
// transition up to applied was handed to the store. A window with a later
// transition (still queued, or stored after the read) is left alone. When
// complete is false (the read was truncated) a window is only ever set
// firing, never cleared. It returns how many windows it changed.
func (e *Evaluator) reconcile(rs *ruleSet, open map[string]map[string]bool, complete bool, applied uint64) int {
	fixed := 0
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.RLock()
		ids := make([]string, 0, len(sh.devices))
		devs := make([]*deviceState, 0, len(sh.devices))
		for id, d := range sh.devices {
			ids, devs = append(ids, id), append(devs, d)
		}
		sh.mu.RUnlock()
		for k, d := range devs {
			d.mu.Lock()
			if d.gen != rs.gen {
				d.refresh(ids[k], rs)
			}
			for j, c := range d.rules {
				st := &d.conds[j]
				want := open[ids[k]][c.rule.ID]
				if st.seq > applied || st.firing == want || (!want && !complete) {
					continue
				}
				// A lost opening keeps its breach start: a breach still
				// under way opens at its next sample.
				st.firing = want
				fixed++
			}
			d.mu.Unlock()
		}
	}
	return fixed
}
