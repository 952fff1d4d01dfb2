package storetest

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The in-memory agent stores below exist only to check that the agent suite
// itself is sane (it passes against a straightforward reading of the
// contract). They extend the tenancy fake; foreign keys are emulated by
// dropping, before every agent call, the rows whose device or site is gone.

func TestFakeAgentStore(t *testing.T) { RunAgents(t, newAgentFake) }

func BenchmarkFakeAgentStore(b *testing.B) { RunAgentBenchmarks(b, newAgentFake) }

func newAgentFake(t testing.TB) ports.Store {
	return &agentFake{fake: newFake(t).(*fake), ag: &agentDB{
		keys: map[string]domain.EnrollmentKey{}, tokens: map[string]fakeToken{},
		samples: map[string]map[time.Time]domain.MetricSample{}, latest: map[string]domain.MetricSample{},
		inventory: map[string]domain.DeviceInventory{}, pluginStates: map[string][]domain.PluginRunState{},
	}}
}

type fakeToken struct {
	hash    string
	revoked bool
}

type agentDB struct {
	keys      map[string]domain.EnrollmentKey
	tokens    map[string]fakeToken // by device
	samples   map[string]map[time.Time]domain.MetricSample
	latest    map[string]domain.MetricSample
	inventory map[string]domain.DeviceInventory
	// pluginStates by device
	pluginStates map[string][]domain.PluginRunState
}

func (a *agentDB) clone() *agentDB {
	c := &agentDB{
		keys: maps.Clone(a.keys), tokens: maps.Clone(a.tokens), samples: map[string]map[time.Time]domain.MetricSample{},
		latest: maps.Clone(a.latest), inventory: maps.Clone(a.inventory), pluginStates: maps.Clone(a.pluginStates),
	}
	for k, v := range a.samples {
		c.samples[k] = maps.Clone(v)
	}
	return c
}

type agentFake struct {
	*fake
	ag *agentDB
}

func (f *agentFake) EnrollmentKeys() ports.EnrollmentKeyStore { return fakeKeys{f} }
func (f *agentFake) AgentTokens() ports.AgentTokenStore       { return fakeTokens{f} }
func (f *agentFake) Presence() ports.PresenceStore            { return fakePresence{f} }
func (f *agentFake) Telemetry() ports.TelemetryStore          { return fakeTelemetry{f} }
func (f *agentFake) Inventory() ports.InventoryStore          { return fakeInventory{f} }

func (f *agentFake) InTx(ctx context.Context, fn func(ctx context.Context, tx ports.Store) error) (err error) {
	if f.inTx {
		return fn(ctx, f)
	}
	f.db.mu.Lock()
	defer f.db.mu.Unlock()
	db := f.db
	saved := fakeDB{
		partners: cloneMap(db.partners), orgs: cloneMap(db.orgs), sites: cloneMap(db.sites),
		groups: cloneMap(db.groups), devices: cloneMap(db.devices),
	}
	savedAg := *f.ag.clone()
	restore := func() {
		db.partners, db.orgs, db.sites, db.groups, db.devices = saved.partners, saved.orgs, saved.sites, saved.groups, saved.devices
		*f.ag = savedAg
	}
	defer func() {
		if p := recover(); p != nil {
			restore()
			panic(p)
		}
	}()
	if err := fn(ctx, &agentFake{fake: &fake{db: db, inTx: true}, ag: f.ag}); err != nil {
		restore()
		return err
	}
	return nil
}

// begin locks the store and applies the cascades the tenancy fake does not
// know about.
func (f *agentFake) begin() func() {
	unlock := f.lock()
	for id, k := range f.ag.keys {
		if _, ok := f.db.sites[k.SiteID]; !ok {
			delete(f.ag.keys, id)
		}
	}
	for id := range f.ag.tokens {
		if _, ok := f.db.devices[id]; !ok {
			delete(f.ag.tokens, id)
		}
	}
	for id := range f.ag.samples {
		if _, ok := f.db.devices[id]; !ok {
			delete(f.ag.samples, id)
			delete(f.ag.latest, id)
		}
	}
	for id := range f.ag.inventory {
		if _, ok := f.db.devices[id]; !ok {
			delete(f.ag.inventory, id)
		}
	}
	for id := range f.ag.pluginStates {
		if _, ok := f.db.devices[id]; !ok {
			delete(f.ag.pluginStates, id)
		}
	}
	return unlock
}

// ---- enrollment keys

type fakeKeys struct{ f *agentFake }

func (ks fakeKeys) visible(s domain.Scope, k domain.EnrollmentKey) bool {
	return s.CoversSite(k.PartnerID, k.OrgID, k.SiteID)
}

func (ks fakeKeys) Create(_ context.Context, s domain.Scope, in *domain.EnrollmentKey) error {
	defer ks.f.begin()()
	site, ok := ks.f.db.sites[in.SiteID]
	if !ok || !siteCovered(s, site) {
		return domain.NotFoundf("site")
	}
	if in.OrgID != "" && in.OrgID != site.OrgID {
		return domain.Invalidf("org does not match the site")
	}
	if err := domain.ValidateName("enrollment key", in.Name); err != nil {
		return err
	}
	if !in.ExpiresAt.After(time.Now()) {
		return domain.Invalidf("expiry in the past")
	}
	if in.MaxUses < 0 {
		return domain.Invalidf("negative max uses")
	}
	if in.GroupID != "" {
		g, ok := ks.f.db.groups[in.GroupID]
		if !ok || !groupCovered(s, g) || g.OrgID != site.OrgID || (g.SiteID != "" && g.SiteID != site.ID) {
			return domain.Invalidf("group")
		}
	}
	for _, k := range ks.f.ag.keys {
		if k.KeyHash == in.KeyHash {
			return domain.Conflictf("key hash taken")
		}
	}
	in.ID, in.PartnerID, in.OrgID, in.Uses, in.RevokedAt, in.CreatedAt = domain.NewID(), site.PartnerID, site.OrgID, 0, time.Time{}, now()
	in.ExpiresAt = utcMicro(in.ExpiresAt)
	ks.f.ag.keys[in.ID] = *in
	return nil
}

func (ks fakeKeys) Get(_ context.Context, s domain.Scope, id string) (*domain.EnrollmentKey, error) {
	defer ks.f.begin()()
	k, ok := ks.f.ag.keys[id]
	if !ok || !ks.visible(s, k) {
		return nil, domain.NotFoundf("enrollment key")
	}
	return &k, nil
}

func (ks fakeKeys) List(_ context.Context, s domain.Scope, req domain.PageRequest) (domain.Page[*domain.EnrollmentKey], error) {
	defer ks.f.begin()()
	var items []*domain.EnrollmentKey
	for _, k := range ks.f.ag.keys {
		if ks.visible(s, k) {
			items = append(items, &k)
		}
	}
	return paginate(items, func(k *domain.EnrollmentKey) string { return k.ID }, req)
}

func (ks fakeKeys) Revoke(_ context.Context, s domain.Scope, id string, at time.Time) error {
	defer ks.f.begin()()
	k, ok := ks.f.ag.keys[id]
	if !ok || !ks.visible(s, k) {
		return domain.NotFoundf("enrollment key")
	}
	if k.RevokedAt.IsZero() {
		k.RevokedAt = utcMicro(at)
		ks.f.ag.keys[id] = k
	}
	return nil
}

func (ks fakeKeys) Use(_ context.Context, keyHash string, at time.Time) (*domain.EnrollmentKey, error) {
	defer ks.f.begin()()
	for id, k := range ks.f.ag.keys {
		if k.KeyHash == keyHash && k.Usable(at) {
			k.Uses++
			ks.f.ag.keys[id] = k
			return &k, nil
		}
	}
	return nil, domain.NotFoundf("enrollment key")
}

// ---- agent tokens

type fakeTokens struct{ f *agentFake }

func (ts fakeTokens) Set(_ context.Context, deviceID, tokenHash string, _ time.Time) error {
	defer ts.f.begin()()
	if _, ok := ts.f.db.devices[deviceID]; !ok {
		return domain.NotFoundf("device")
	}
	for id, tok := range ts.f.ag.tokens {
		if id != deviceID && tok.hash == tokenHash {
			return domain.Conflictf("token hash taken")
		}
	}
	ts.f.ag.tokens[deviceID] = fakeToken{hash: tokenHash}
	return nil
}

func (ts fakeTokens) Lookup(_ context.Context, tokenHash string) (string, error) {
	defer ts.f.begin()()
	for id, tok := range ts.f.ag.tokens {
		if tok.hash == tokenHash && !tok.revoked {
			return id, nil
		}
	}
	return "", domain.NotFoundf("agent token")
}

func (ts fakeTokens) Revoke(_ context.Context, deviceID string, _ time.Time) error {
	defer ts.f.begin()()
	if tok, ok := ts.f.ag.tokens[deviceID]; ok {
		tok.revoked = true
		ts.f.ag.tokens[deviceID] = tok
	}
	return nil
}

// ---- presence

type fakePresence struct{ f *agentFake }

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return utcMicro(b)
	}
	return a
}

func (ps fakePresence) Mark(_ context.Context, updates []domain.PresenceUpdate) error {
	defer ps.f.begin()()
	for _, u := range updates {
		d, ok := ps.f.db.devices[u.DeviceID]
		if !ok || (len(u.IfStatus) > 0 && !slices.Contains(u.IfStatus, d.Status)) {
			continue
		}
		d.Status, d.LastSeenAt = u.Status, laterOf(d.LastSeenAt, u.LastSeenAt)
		ps.f.db.devices[d.ID] = d
	}
	return nil
}

func (ps fakePresence) StaleOnline(_ context.Context, cutoff time.Time, limit int) ([]string, error) {
	defer ps.f.begin()()
	var stale []domain.Device
	for _, d := range ps.f.db.devices {
		if d.Status == domain.DeviceOnline && d.Kind != domain.DeviceKindNetwork && !d.LastSeenAt.IsZero() && d.LastSeenAt.Before(cutoff) {
			stale = append(stale, d)
		}
	}
	slices.SortFunc(stale, func(a, b domain.Device) int { return a.LastSeenAt.Compare(b.LastSeenAt) })
	var ids []string
	for i, d := range stale {
		if i == limit {
			break
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// ---- telemetry

type fakeTelemetry struct{ f *agentFake }

func (ts fakeTelemetry) Write(_ context.Context, samples []domain.MetricSample, seen time.Time) error {
	defer ts.f.begin()()
	for _, s := range samples {
		d, ok := ts.f.db.devices[s.DeviceID]
		if !ok {
			continue
		}
		s.At = utcMicro(s.At)
		m := ts.f.ag.samples[s.DeviceID]
		if m == nil {
			m = map[time.Time]domain.MetricSample{}
			ts.f.ag.samples[s.DeviceID] = m
		}
		if _, dup := m[s.At]; !dup {
			m[s.At] = s
		}
		if l, ok := ts.f.ag.latest[s.DeviceID]; !ok || s.At.After(l.At) {
			ts.f.ag.latest[s.DeviceID] = s
		}
		d.LastSeenAt = laterOf(d.LastSeenAt, s.At)
		if !seen.IsZero() && d.Status != domain.DeviceDecommissioned {
			d.Status = domain.DeviceOnline
			d.LastSeenAt = laterOf(d.LastSeenAt, utcMicro(seen))
		}
		ts.f.db.devices[d.ID] = d
	}
	return nil
}

func (ts fakeTelemetry) covered(s domain.Scope, deviceID string) bool {
	d, ok := ts.f.db.devices[deviceID]
	return ok && deviceCovered(s, d)
}

func (ts fakeTelemetry) Latest(_ context.Context, s domain.Scope, deviceID string) (*domain.MetricSample, error) {
	defer ts.f.begin()()
	l, ok := ts.f.ag.latest[deviceID]
	if !ok || !ts.covered(s, deviceID) {
		return nil, domain.NotFoundf("sample")
	}
	return &l, nil
}

func (ts fakeTelemetry) Query(_ context.Context, s domain.Scope, deviceID string, from, to time.Time, step time.Duration) ([]domain.MetricPoint, error) {
	defer ts.f.begin()()
	if !ts.covered(s, deviceID) {
		return nil, domain.NotFoundf("device")
	}
	if !from.Before(to) || step < time.Second || to.Sub(from)/step > 10000 {
		return nil, domain.Invalidf("range")
	}
	buckets := map[int64]*domain.MetricPoint{}
	for _, x := range ts.f.ag.samples[deviceID] {
		if x.At.Before(from) || !x.At.Before(to) {
			continue
		}
		k := int64(x.At.Sub(from) / step)
		p := buckets[k]
		if p == nil {
			p = &domain.MetricPoint{At: from.Add(time.Duration(k) * step).UTC(), CPUMax: math.Inf(-1)}
			buckets[k] = p
		}
		p.Samples++
		p.CPUAvg += x.CPUPercent
		p.CPUMax = max(p.CPUMax, x.CPUPercent)
		p.MemoryUsed += float64(x.MemoryUsed)
		p.MemoryTotal += float64(x.MemoryTotal)
		p.DiskUsed += float64(x.DiskUsed)
		p.DiskTotal += float64(x.DiskTotal)
		p.NetRxBps += x.NetRxBps
		p.NetTxBps += x.NetTxBps
		p.Load1 += x.Load1
	}
	var out []domain.MetricPoint
	for _, k := range slices.Sorted(maps.Keys(buckets)) {
		p := *buckets[k]
		n := float64(p.Samples)
		p.CPUAvg, p.MemoryUsed, p.MemoryTotal = p.CPUAvg/n, p.MemoryUsed/n, p.MemoryTotal/n
		p.DiskUsed, p.DiskTotal, p.NetRxBps, p.NetTxBps, p.Load1 = p.DiskUsed/n, p.DiskTotal/n, p.NetRxBps/n, p.NetTxBps/n, p.Load1/n
		out = append(out, p)
	}
	return out, nil
}

func (ts fakeTelemetry) QuerySeries(_ context.Context, s domain.Scope, deviceID string, series domain.PluginSeries, from, to time.Time, step time.Duration) ([]domain.SeriesPoint, error) {
	defer ts.f.begin()()
	if !ts.covered(s, deviceID) {
		return nil, domain.NotFoundf("device")
	}
	if !from.Before(to) || step < time.Second || to.Sub(from)/step > 10000 {
		return nil, domain.Invalidf("range")
	}
	buckets := map[int64]*domain.SeriesPoint{}
	for _, x := range ts.f.ag.samples[deviceID] {
		if x.At.Before(from) || !x.At.Before(to) || x.Detail == "" {
			continue
		}
		var d struct {
			Plugins []struct {
				Plugin, Name string
				Value        float64
			} `json:"plugins"`
		}
		if json.Unmarshal([]byte(x.Detail), &d) != nil {
			continue
		}
		for _, m := range d.Plugins {
			if m.Plugin != series.Plugin || m.Name != series.Name {
				continue
			}
			k := int64(x.At.Sub(from) / step)
			p := buckets[k]
			if p == nil {
				p = &domain.SeriesPoint{At: from.Add(time.Duration(k) * step).UTC(), Min: math.Inf(1), Max: math.Inf(-1)}
				buckets[k] = p
			}
			p.Samples++
			p.Avg += m.Value
			p.Min, p.Max = min(p.Min, m.Value), max(p.Max, m.Value)
		}
	}
	out := []domain.SeriesPoint{}
	for _, k := range slices.Sorted(maps.Keys(buckets)) {
		p := *buckets[k]
		p.Avg /= float64(p.Samples)
		out = append(out, p)
	}
	return out, nil
}

func (ts fakeTelemetry) Prune(_ context.Context, before time.Time) (int64, error) {
	defer ts.f.begin()()
	var n int64
	for _, m := range ts.f.ag.samples {
		for at := range m {
			if at.Before(before) {
				delete(m, at)
				n++
			}
		}
	}
	return n, nil
}

// ---- inventory

type fakeInventory struct{ f *agentFake }

func (is fakeInventory) Put(_ context.Context, inv *domain.DeviceInventory) error {
	defer is.f.begin()()
	if _, ok := is.f.db.devices[inv.DeviceID]; !ok {
		return domain.NotFoundf("device")
	}
	x := *inv
	x.UpdatedAt = utcMicro(x.UpdatedAt)
	is.f.ag.inventory[inv.DeviceID] = x
	return nil
}

func (is fakeInventory) Get(_ context.Context, s domain.Scope, deviceID string) (*domain.DeviceInventory, error) {
	defer is.f.begin()()
	inv, ok := is.f.ag.inventory[deviceID]
	if d, found := is.f.db.devices[deviceID]; !ok || !found || !deviceCovered(s, d) {
		return nil, domain.NotFoundf("inventory")
	}
	return &inv, nil
}

func (is fakeInventory) Exists(ctx context.Context, deviceID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	defer is.f.begin()()
	_, ok := is.f.ag.inventory[deviceID]
	return ok, nil
}

func (is fakeInventory) PutPluginStates(_ context.Context, deviceID string, states []domain.PluginRunState, at time.Time) error {
	defer is.f.begin()()
	if _, ok := is.f.db.devices[deviceID]; !ok {
		return domain.NotFoundf("device")
	}
	out := make([]domain.PluginRunState, len(states))
	for i, st := range states {
		st.At = utcMicro(at)
		out[i] = st
	}
	is.f.ag.pluginStates[deviceID] = out
	return nil
}

func (is fakeInventory) PluginStates(_ context.Context, s domain.Scope, deviceID string) ([]domain.PluginRunState, error) {
	defer is.f.begin()()
	d, found := is.f.db.devices[deviceID]
	if !found || !deviceCovered(s, d) {
		return nil, domain.NotFoundf("device")
	}
	return append([]domain.PluginRunState{}, is.f.ag.pluginStates[deviceID]...), nil
}

func (is fakeInventory) GetUnscoped(_ context.Context, deviceID string) (*domain.DeviceInventory, error) {
	defer is.f.begin()()
	inv, ok := is.f.ag.inventory[deviceID]
	if !ok {
		return nil, domain.NotFoundf("inventory")
	}
	return &inv, nil
}
