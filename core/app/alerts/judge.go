package alerts

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/domain"
)

// judge decides one ingested report against the enabled event rules in
// its device's scope, in the evaluation job: the device's standing alerts
// are read from the store (whichever node opened them), an alert opens
// through the store's insert-if-none (one per rule and device, on every
// node) and a standing one resolves when the condition says so.
func (s *Service) judge(ctx context.Context, ev *conditions.Event) {
	rs := s.ev.rules.Load()
	if !rs.hears[ev.Kind] {
		return // no rule hears it: no store access at all
	}
	pl, ok := s.ev.placementOf(ev.DeviceID)
	if !ok {
		d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), ev.DeviceID)
		if err != nil {
			s.d.Logger.Warn("report not judged for alerting", "device_id", ev.DeviceID, "error", err)
			return
		}
		if d.Status == domain.DeviceDecommissioned {
			return
		}
		pl = placement{d.PartnerID, d.OrgID, d.SiteID, d.GroupID}
	}
	var rules []*compiled
	for _, c := range rs.byPartner[pl.partnerID] {
		if c.event != nil && c.event.Hears() == ev.Kind && c.covers(ev.DeviceID, pl) {
			rules = append(rules, c)
		}
	}
	if len(rules) == 0 {
		return
	}
	open, err := s.d.Store.Alerts().Unresolved(ctx, ev.DeviceID, "", domain.MaxPageSize)
	if err != nil {
		s.d.Logger.Warn("report not judged for alerting", "device_id", ev.DeviceID, "error", err)
		return
	}
	standing := make(map[string]*domain.Alert, len(open))
	for _, a := range open {
		standing[a.RuleID] = a
	}
	for _, c := range rules {
		cur := standing[c.rule.ID]
		v := c.event.Judge(ev, cur)
		switch {
		case v.Open && cur == nil:
			s.store(ctx, transition{open: true, rule: c.rule, deviceID: ev.DeviceID, value: v.Value, message: v.Message, at: ev.At})
		case v.Clear && cur != nil:
			s.store(ctx, transition{rule: c.rule, deviceID: ev.DeviceID, value: v.Value, at: ev.At})
		}
	}
}

// placementOf is a warm device's placement, without the store.
func (e *Evaluator) placementOf(deviceID string) (placement, bool) {
	sh := &e.shards[e.shard(deviceID)]
	sh.mu.RLock()
	d := sh.devices[deviceID]
	sh.mu.RUnlock()
	if d == nil {
		return placement{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pl, true
}
