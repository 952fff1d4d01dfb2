package storetest

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunAlerts runs the alert rule and alert cases.
func RunAlerts(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Rules", testAlertRules},
		{"OpenOnce", testAlertOpenOnce},
		{"Lifecycle", testAlertLifecycle},
		{"Scoping", testAlertScoping},
		{"Defaults", testAlertDefaults},
		{"ClusterKeys", testClusterKeys},
		{"Remediation", testAlertRemediation},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func newRule(t testing.TB, st ports.Store, partnerID, orgID string) *domain.AlertRule {
	t.Helper()
	r := &domain.AlertRule{PartnerID: partnerID, OrgID: orgID, Name: uniq("rule"), Enabled: true,
		Severity: domain.SeverityWarning, Kind: "metric_threshold", Params: json.RawMessage(`{"metric":"cpu"}`),
		ScopeKind: domain.AlertScopePartner}
	if orgID != "" {
		r.ScopeKind, r.ScopeIDs = domain.AlertScopeOrg, []string{orgID}
	}
	must(t, "create alert rule", st.AlertRules().Create(t.Context(), global, r))
	return r
}

func testAlertRules(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := &domain.AlertRule{OrgID: c.org.ID, Name: uniq("cpu"), Enabled: true, Severity: domain.SeverityCritical,
		Kind: "metric_threshold", Params: json.RawMessage(`{"metric":"cpu","threshold":90}`), ScopeKind: domain.AlertScopeSite,
		ScopeIDs: []string{c.site.ID}, ExcludeDeviceIDs: []string{dev.ID}, RenotifySeconds: 3600, CreatedBy: "u1"}
	must(t, "create", st.AlertRules().Create(ctx, c.scope(), r))
	checkNewID(t, "rule", r.ID)
	if r.PartnerID != c.partner.ID || r.Version != 1 {
		t.Fatalf("created rule: partner %q version %d", r.PartnerID, r.Version)
	}
	got, err := st.AlertRules().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, r.ID)
	must(t, "get by a site holder", err)
	var params map[string]any
	must(t, "params", json.Unmarshal(got.Params, &params))
	if params["threshold"] != 90.0 || got.RenotifySeconds != 3600 || !got.Enabled || got.Severity != domain.SeverityCritical ||
		len(got.ScopeIDs) != 1 || got.ScopeIDs[0] != c.site.ID || len(got.ExcludeDeviceIDs) != 1 || got.CreatedBy != "u1" {
		t.Fatalf("read back %+v", got)
	}
	checkUTC(t, "created", got.CreatedAt)
	// same name, same owner
	dup := *r
	dup.ID = ""
	wantIs(t, "duplicate name", st.AlertRules().Create(ctx, c.scope(), &dup), domain.ErrConflict)
	// another tenant may not create in, read or change this org
	other := newChain(t, st)
	bad := &domain.AlertRule{OrgID: c.org.ID, Name: uniq("x"), Severity: domain.SeverityInfo, Kind: "device_offline", ScopeKind: domain.AlertScopeOrg}
	wantIs(t, "create outside scope", st.AlertRules().Create(ctx, other.scope(), bad), domain.ErrNotFound)
	_, err = st.AlertRules().Get(ctx, other.scope(), r.ID)
	wantIs(t, "get outside scope", err, domain.ErrNotFound)
	// partner-wide rule: an org holder reads it, cannot write it
	pr := newRule(t, st, c.partner.ID, "")
	orgScope := domain.Scope{OrgIDs: []string{c.org.ID}}
	_, err = st.AlertRules().Get(ctx, orgScope, pr.ID)
	must(t, "org holder reads the partner rule", err)
	pr.Name = uniq("renamed")
	_, err = st.AlertRules().Update(ctx, orgScope, pr)
	wantIs(t, "org holder updates the partner rule", err, domain.ErrNotFound)
	// list by org: own plus partner-wide
	page, err := st.AlertRules().List(ctx, c.scope(), ports.AlertRuleFilter{OrgID: c.org.ID}, domain.PageRequest{})
	must(t, "list", err)
	wantIDs(t, "list by org", ids(page.Items, func(r *domain.AlertRule) string { return r.ID }), []string{r.ID, pr.ID})
	// update with version
	r.Enabled, r.Severity = false, domain.SeverityInfo
	up, err := st.AlertRules().Update(ctx, c.scope(), r)
	must(t, "update", err)
	if up.Version != 2 || up.Enabled || up.Severity != domain.SeverityInfo {
		t.Fatalf("updated: %+v", up)
	}
	_, err = st.AlertRules().Update(ctx, c.scope(), r)
	wantIs(t, "stale update", err, domain.ErrConflict)
	// Enabled lists enabled rules only
	en, err := st.AlertRules().Enabled(ctx)
	must(t, "enabled", err)
	for _, e := range en {
		if e.ID == r.ID {
			t.Fatal("a disabled rule is listed as enabled")
		}
	}
	wantIs(t, "delete outside scope", st.AlertRules().Delete(ctx, other.scope(), r.ID), domain.ErrNotFound)
	must(t, "delete", st.AlertRules().Delete(ctx, c.scope(), r.ID))
	_, err = st.AlertRules().Get(ctx, c.scope(), r.ID)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = id(v)
	}
	return out
}

func openAlert(ruleID, deviceID string) *domain.Alert {
	return &domain.Alert{RuleID: ruleID, DeviceID: deviceID, Kind: "metric_threshold", Severity: domain.SeverityWarning,
		Message: "cpu 95 > 90", Value: 95}
}

// testAlertOpenOnce: many concurrent openers of (rule, device) make one
// alert; after it is resolved the next opening is a new alert.
func testAlertOpenOnce(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := newRule(t, st, c.partner.ID, c.org.ID)
	const n = 8
	var wg sync.WaitGroup
	results := make([]*domain.Alert, n)
	opened := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], opened[i], errs[i] = st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
		}()
	}
	wg.Wait()
	count := 0
	for i := range n {
		must(t, "open", errs[i])
		if opened[i] {
			count++
		}
		if results[i].ID != results[0].ID {
			t.Fatalf("openers saw different alerts: %s and %s", results[i].ID, results[0].ID)
		}
	}
	if count != 1 {
		t.Fatalf("%d openers opened an alert, want exactly 1", count)
	}
	a := results[0]
	if a.State != domain.AlertOpen || a.OrgID != c.org.ID || a.SiteID != c.site.ID || a.PartnerID != c.partner.ID || a.Value != 95 {
		t.Fatalf("opened alert: %+v", a)
	}
	_, err := st.Alerts().Transition(ctx, global, a.ID, domain.Unresolved, domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem})
	must(t, "resolve", err)
	b, ok, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "reopen", err)
	if !ok || b.ID == a.ID {
		t.Fatalf("after resolving, a new alert must open (opened %v, same id %v)", ok, b.ID == a.ID)
	}
	_, _, err = st.Alerts().Open(ctx, openAlert(r.ID, domain.NewID()))
	wantIs(t, "open for an unknown device", err, domain.ErrNotFound)
}

func testAlertLifecycle(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := newRule(t, st, c.partner.ID, c.org.ID)
	a, _, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "open", err)
	at := time.Now().UTC().Add(time.Minute).Truncate(time.Millisecond)
	ack, err := st.Alerts().Transition(ctx, c.scope(), a.ID, []domain.AlertState{domain.AlertOpen},
		domain.AlertUpdate{To: domain.AlertAcknowledged, Actor: "user-1", At: at})
	must(t, "acknowledge", err)
	if ack.State != domain.AlertAcknowledged || ack.AcknowledgedBy != "user-1" || !sameTime(ack.AcknowledgedAt, at) || ack.Version != 2 {
		t.Fatalf("acknowledged: %+v", ack)
	}
	cur, err := st.Alerts().Transition(ctx, c.scope(), a.ID, []domain.AlertState{domain.AlertOpen},
		domain.AlertUpdate{To: domain.AlertAcknowledged, Actor: "user-2"})
	wantIs(t, "acknowledge twice", err, domain.ErrConflict)
	if cur == nil || cur.AcknowledgedBy != "user-1" {
		t.Fatalf("a refused transition returns the stored alert, got %+v", cur)
	}
	un, err := st.Alerts().Unresolved(ctx, dev.ID, "", 10)
	must(t, "unresolved", err)
	acked, err := st.Alerts().List(ctx, c.scope(), ports.AlertFilter{State: ports.UnresolvedFilter, DeviceID: dev.ID}, domain.PageRequest{})
	must(t, "list unresolved", err)
	wantIDs(t, "unresolved takes the acknowledged", ids(acked.Items, func(a *domain.Alert) string { return a.ID }), []string{a.ID})
	if len(un) != 1 || un[0].ID != a.ID {
		t.Fatalf("unresolved of the device: %d", len(un))
	}
	res, err := st.Alerts().Transition(ctx, c.scope(), a.ID, domain.Unresolved,
		domain.AlertUpdate{To: domain.AlertResolved, Actor: "user-2", Note: "rebooted"})
	must(t, "resolve", err)
	if res.State != domain.AlertResolved || res.ResolvedBy != "user-2" || res.Note != "rebooted" || res.ResolvedAt.IsZero() {
		t.Fatalf("resolved: %+v", res)
	}
	h, err := st.Alerts().History(ctx, c.scope(), a.ID)
	must(t, "history", err)
	if len(h) != 3 || h[0].To != domain.AlertOpen || h[0].From != "" || h[1].To != domain.AlertAcknowledged ||
		h[1].Actor != "user-1" || h[2].From != domain.AlertAcknowledged || h[2].To != domain.AlertResolved || h[2].Note != "rebooted" {
		t.Fatalf("history: %+v", h)
	}
	un, err = st.Alerts().Unresolved(ctx, "", "metric_threshold", 1000)
	must(t, "unresolved by kind", err)
	for _, u := range un {
		if u.ID == a.ID {
			t.Fatal("a resolved alert is listed as unresolved")
		}
	}
	page, err := st.Alerts().List(ctx, c.scope(), ports.AlertFilter{State: domain.AlertResolved, DeviceID: dev.ID}, domain.PageRequest{})
	must(t, "list resolved", err)
	wantIDs(t, "list resolved", ids(page.Items, func(a *domain.Alert) string { return a.ID }), []string{a.ID})
	page, err = st.Alerts().List(ctx, c.scope(), ports.AlertFilter{State: domain.AlertOpen}, domain.PageRequest{})
	must(t, "list open", err)
	if len(page.Items) != 0 {
		t.Fatalf("open alerts: %d, want 0", len(page.Items))
	}
	// by site and by opening time
	list := func(what string, f ports.AlertFilter) []string {
		t.Helper()
		f.RuleID = r.ID
		page, err := st.Alerts().List(ctx, c.scope(), f, domain.PageRequest{})
		must(t, what, err)
		return ids(page.Items, func(a *domain.Alert) string { return a.ID })
	}
	opened := a.OpenedAt
	wantIDs(t, "list by site", list("by site", ports.AlertFilter{SiteID: c.site.ID}), []string{a.ID})
	wantIDs(t, "unresolved (it is resolved)", list("unresolved", ports.AlertFilter{State: ports.UnresolvedFilter}), nil)
	wantIDs(t, "list by another site", list("by another site", ports.AlertFilter{SiteID: domain.NewID()}), nil)
	wantIDs(t, "opened in [from, to)", list("in range", ports.AlertFilter{From: opened, To: opened.Add(time.Second)}), []string{a.ID})
	wantIDs(t, "opened before from", list("after", ports.AlertFilter{From: opened.Add(time.Millisecond)}), nil)
	wantIDs(t, "opened at to", list("before", ports.AlertFilter{To: opened}), nil)
	wantIDs(t, "changed since the resolution", list("updated", ports.AlertFilter{UpdatedFrom: res.UpdatedAt}), []string{a.ID})
	wantIDs(t, "changed after the resolution", list("not updated", ports.AlertFilter{UpdatedFrom: res.UpdatedAt.Add(time.Millisecond)}), nil)
	// deleting the rule removes its alerts
	must(t, "delete rule", st.AlertRules().Delete(ctx, c.scope(), r.ID))
	_, err = st.Alerts().Get(ctx, c.scope(), a.ID)
	wantIs(t, "alert of a deleted rule", err, domain.ErrNotFound)
}

func testAlertScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, other := newChain(t, st), newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := newRule(t, st, c.partner.ID, c.org.ID)
	a, _, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "open", err)
	_, err = st.Alerts().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, a.ID)
	must(t, "a site holder reads its device's alert", err)
	_, err = st.Alerts().Get(ctx, other.scope(), a.ID)
	wantIs(t, "get outside scope", err, domain.ErrNotFound)
	_, err = st.Alerts().History(ctx, other.scope(), a.ID)
	wantIs(t, "history outside scope", err, domain.ErrNotFound)
	_, err = st.Alerts().Transition(ctx, other.scope(), a.ID, domain.Unresolved, domain.AlertUpdate{To: domain.AlertResolved, Actor: "x"})
	wantIs(t, "resolve outside scope", err, domain.ErrNotFound)
	page, err := st.Alerts().List(ctx, other.scope(), ports.AlertFilter{}, domain.PageRequest{})
	must(t, "list outside", err)
	if len(page.Items) != 0 {
		t.Fatalf("another tenant lists %d alerts", len(page.Items))
	}
	got, err := st.Alerts().Get(ctx, c.scope(), a.ID)
	must(t, "get", err)
	if got.State != domain.AlertOpen {
		t.Fatalf("a refused write changed the alert: %s", got.State)
	}
	if errors.Is(err, domain.ErrNotFound) {
		t.Fatal("unreachable")
	}
}
