package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunMaintenance runs the maintenance window and alert snooze cases.
func RunMaintenance(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Windows", testWindows},
		{"WindowScoping", testWindowScoping},
		{"AlertSnooze", testAlertSnooze},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func weeklyWindow(orgID string, scope domain.AlertScopeKind, ids ...string) *domain.MaintenanceWindow {
	return &domain.MaintenanceWindow{OrgID: orgID, Name: uniq("patch night"), Enabled: true, ScopeKind: scope, ScopeIDs: ids,
		TimeZone: "Europe/Berlin", Kind: domain.MaintenanceWeekly, Days: []time.Weekday{time.Tuesday, time.Saturday},
		At: "22:00", DurationMinutes: 240, CreatedBy: "u1"}
}

func testWindows(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	w := weeklyWindow(c.org.ID, domain.AlertScopeSite, c.site.ID)
	w.Description = "monthly patches"
	must(t, "create", st.MaintenanceWindows().Create(ctx, c.scope(), w))
	checkNewID(t, "window", w.ID)
	if w.PartnerID != c.partner.ID || w.Version != 1 {
		t.Fatalf("created window: partner %q version %d", w.PartnerID, w.Version)
	}
	checkStamps(t, "window", w.CreatedAt, w.UpdatedAt)
	got, err := st.MaintenanceWindows().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, w.ID)
	must(t, "get by a site holder", err)
	if got.Name != w.Name || got.Description != "monthly patches" || !got.Enabled || got.ScopeKind != domain.AlertScopeSite ||
		len(got.ScopeIDs) != 1 || got.ScopeIDs[0] != c.site.ID || got.TimeZone != "Europe/Berlin" ||
		got.Kind != domain.MaintenanceWeekly || len(got.Days) != 2 || got.Days[0] != time.Tuesday ||
		got.Days[1] != time.Saturday || got.At != "22:00" || got.DurationMinutes != 240 || got.CreatedBy != "u1" ||
		got.OrgID != c.org.ID || got.StartsAt != "" {
		t.Fatalf("read back %+v", got)
	}
	checkUTC(t, "created", got.CreatedAt)
	// same name, same owner (case-insensitively)
	dup := *w
	dup.ID, dup.Name = "", "PATCH"+w.Name[len("patch"):]
	wantIs(t, "duplicate name", st.MaintenanceWindows().Create(ctx, c.scope(), &dup), domain.ErrConflict)
	// a one-off, partner-wide window
	pw := &domain.MaintenanceWindow{PartnerID: c.partner.ID, Name: uniq("move"), Enabled: true, ScopeKind: domain.AlertScopePartner,
		TimeZone: "UTC", Kind: domain.MaintenanceOnce, StartsAt: "2026-05-01T22:00", EndsAt: "2026-05-02T02:00"}
	must(t, "create partner-wide", st.MaintenanceWindows().Create(ctx, c.scope(), pw))
	got, err = st.MaintenanceWindows().Get(ctx, domain.Scope{OrgIDs: []string{c.org.ID}}, pw.ID)
	must(t, "an org holder reads the partner window", err)
	if got.OrgID != "" || got.StartsAt != "2026-05-01T22:00" || got.EndsAt != "2026-05-02T02:00" || len(got.Days) != 0 {
		t.Fatalf("partner window read back %+v", got)
	}
	// list by org: own plus partner-wide
	page, err := st.MaintenanceWindows().List(ctx, c.scope(), ports.MaintenanceWindowFilter{OrgID: c.org.ID}, domain.PageRequest{})
	must(t, "list", err)
	wantIDs(t, "list by org", ids(page.Items, func(w *domain.MaintenanceWindow) string { return w.ID }), []string{w.ID, pw.ID})
	// update with version
	w.Enabled, w.Days, w.DurationMinutes, w.ScopeKind, w.ScopeIDs = false, []time.Weekday{time.Sunday}, 30,
		domain.AlertScopeOrg, []string{c.org.ID}
	up, err := st.MaintenanceWindows().Update(ctx, c.scope(), w)
	must(t, "update", err)
	if up.Version != 2 || up.Enabled || len(up.Days) != 1 || up.Days[0] != time.Sunday || up.DurationMinutes != 30 ||
		up.ScopeKind != domain.AlertScopeOrg || up.OrgID != c.org.ID {
		t.Fatalf("updated: %+v", up)
	}
	_, err = st.MaintenanceWindows().Update(ctx, c.scope(), w)
	wantIs(t, "stale update", err, domain.ErrConflict)
	// Enabled lists enabled windows only
	en, err := st.MaintenanceWindows().Enabled(ctx)
	must(t, "enabled", err)
	seen := map[string]bool{}
	for _, e := range en {
		seen[e.ID] = true
	}
	if seen[w.ID] || !seen[pw.ID] {
		t.Fatalf("enabled lists the disabled window %v, the enabled one %v", seen[w.ID], seen[pw.ID])
	}
	// shape the schema refuses
	bad := weeklyWindow(c.org.ID, domain.AlertScopeOrg, c.org.ID)
	bad.Kind = "monthly"
	wantIs(t, "unknown kind", st.MaintenanceWindows().Create(ctx, c.scope(), bad), domain.ErrInvalid)
	bad = weeklyWindow(c.org.ID, domain.AlertScopeOrg, c.org.ID)
	bad.Name = " "
	wantIs(t, "blank name", st.MaintenanceWindows().Create(ctx, c.scope(), bad), domain.ErrInvalid)
	bad = weeklyWindow(c.org.ID, domain.AlertScopeOrg, c.org.ID)
	bad.DurationMinutes = -1
	wantIs(t, "negative duration", st.MaintenanceWindows().Create(ctx, c.scope(), bad), domain.ErrInvalid)
	// delete
	must(t, "delete", st.MaintenanceWindows().Delete(ctx, c.scope(), w.ID))
	_, err = st.MaintenanceWindows().Get(ctx, c.scope(), w.ID)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
	wantIs(t, "delete twice", st.MaintenanceWindows().Delete(ctx, c.scope(), w.ID), domain.ErrNotFound)
}

func testWindowScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, other := newChain(t, st), newChain(t, st)
	w := weeklyWindow(c.org.ID, domain.AlertScopeOrg, c.org.ID)
	must(t, "create", st.MaintenanceWindows().Create(ctx, c.scope(), w))
	// another tenant may not create in, read, list, change or delete it
	wantIs(t, "create outside scope", st.MaintenanceWindows().Create(ctx, other.scope(),
		weeklyWindow(c.org.ID, domain.AlertScopeOrg, c.org.ID)), domain.ErrNotFound)
	pw := &domain.MaintenanceWindow{PartnerID: c.partner.ID, Name: uniq("x"), ScopeKind: domain.AlertScopePartner, TimeZone: "UTC",
		Kind: domain.MaintenanceOnce, StartsAt: "2026-05-01T22:00", EndsAt: "2026-05-02T02:00"}
	wantIs(t, "create partner-wide outside scope", st.MaintenanceWindows().Create(ctx, other.scope(), pw), domain.ErrNotFound)
	_, err := st.MaintenanceWindows().Get(ctx, other.scope(), w.ID)
	wantIs(t, "get outside scope", err, domain.ErrNotFound)
	page, err := st.MaintenanceWindows().List(ctx, other.scope(), ports.MaintenanceWindowFilter{}, domain.PageRequest{})
	must(t, "list outside", err)
	if len(page.Items) != 0 {
		t.Fatalf("another tenant lists %d windows", len(page.Items))
	}
	page, err = st.MaintenanceWindows().List(ctx, other.scope(), ports.MaintenanceWindowFilter{OrgID: c.org.ID}, domain.PageRequest{})
	if err == nil && len(page.Items) != 0 {
		t.Fatalf("another tenant lists %d windows by filtering on the org", len(page.Items))
	}
	changed := *w
	changed.Name = uniq("hijacked")
	_, err = st.MaintenanceWindows().Update(ctx, other.scope(), &changed)
	wantIs(t, "update outside scope", err, domain.ErrNotFound)
	wantIs(t, "delete outside scope", st.MaintenanceWindows().Delete(ctx, other.scope(), w.ID), domain.ErrNotFound)
	for _, id := range malformedIDs(w.ID) {
		_, err := st.MaintenanceWindows().Get(ctx, c.scope(), id)
		wantIs(t, "get "+id, err, domain.ErrNotFound)
	}
	// an org holder reads, but does not write, its partner's window
	must(t, "create partner-wide", st.MaintenanceWindows().Create(ctx, c.scope(), pw))
	orgScope := domain.Scope{OrgIDs: []string{c.org.ID}}
	_, err = st.MaintenanceWindows().Get(ctx, orgScope, pw.ID)
	must(t, "org holder reads", err)
	pw.Name = uniq("renamed")
	_, err = st.MaintenanceWindows().Update(ctx, orgScope, pw)
	wantIs(t, "org holder updates the partner window", err, domain.ErrNotFound)
	wantIs(t, "org holder deletes the partner window", st.MaintenanceWindows().Delete(ctx, orgScope, pw.ID), domain.ErrNotFound)
	got, err := st.MaintenanceWindows().Get(ctx, c.scope(), w.ID)
	must(t, "get", err)
	if got.Name != w.Name || got.Version != 1 {
		t.Fatalf("a refused write changed the window: %+v", got)
	}
}

func testAlertSnooze(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, other := newChain(t, st), newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := newRule(t, st, c.partner.ID, c.org.ID)
	a, _, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "open", err)
	if !a.SnoozedUntil.IsZero() {
		t.Fatalf("a new alert is snoozed until %s", a.SnoozedUntil)
	}
	at := time.Now().UTC().Add(time.Minute).Truncate(time.Millisecond)
	until := at.Add(2 * time.Hour)
	_, err = st.Alerts().Snooze(ctx, other.scope(), a.ID, domain.AlertSnooze{Until: until, Actor: "x", At: at})
	wantIs(t, "snooze outside scope", err, domain.ErrNotFound)
	sn, err := st.Alerts().Snooze(ctx, c.scope(), a.ID, domain.AlertSnooze{Until: until, Actor: "user-1", Note: "patching", At: at})
	must(t, "snooze", err)
	if !sameTime(sn.SnoozedUntil, until) || sn.State != domain.AlertOpen || sn.Version != 2 || !sameTime(sn.UpdatedAt, at) {
		t.Fatalf("snoozed: %+v", sn)
	}
	checkUTC(t, "snoozed until", sn.SnoozedUntil)
	got, err := st.Alerts().Get(ctx, c.scope(), a.ID)
	must(t, "get", err)
	if !sameTime(got.SnoozedUntil, until) {
		t.Fatalf("read back snoozed until %s, want %s", got.SnoozedUntil, until)
	}
	// acknowledging keeps the snooze; clearing records who and when
	_, err = st.Alerts().Transition(ctx, c.scope(), a.ID, []domain.AlertState{domain.AlertOpen},
		domain.AlertUpdate{To: domain.AlertAcknowledged, Actor: "user-2", At: at.Add(time.Minute)})
	must(t, "acknowledge", err)
	un, err := st.Alerts().Snooze(ctx, c.scope(), a.ID, domain.AlertSnooze{Actor: "user-2", At: at.Add(2 * time.Minute)})
	must(t, "unsnooze", err)
	if !un.SnoozedUntil.IsZero() || un.State != domain.AlertAcknowledged || un.Version != 4 {
		t.Fatalf("unsnoozed: %+v", un)
	}
	// a snoozed alert whose condition clears still resolves; a resolved
	// one is not snoozed
	_, err = st.Alerts().Snooze(ctx, c.scope(), a.ID, domain.AlertSnooze{Until: until, Actor: "user-1", At: at.Add(3 * time.Minute)})
	must(t, "snooze again", err)
	res, err := st.Alerts().Transition(ctx, global, a.ID, domain.Unresolved,
		domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem, Note: "condition cleared", At: at.Add(4 * time.Minute)})
	must(t, "resolve a snoozed alert", err)
	if res.State != domain.AlertResolved {
		t.Fatalf("resolved: %+v", res)
	}
	cur, err := st.Alerts().Snooze(ctx, c.scope(), a.ID, domain.AlertSnooze{Until: until, Actor: "user-1"})
	wantIs(t, "snooze a resolved alert", err, domain.ErrConflict)
	if cur == nil || cur.State != domain.AlertResolved {
		t.Fatalf("a refused snooze returns the stored alert, got %+v", cur)
	}
	h, err := st.Alerts().History(ctx, c.scope(), a.ID)
	must(t, "history", err)
	if len(h) != 6 {
		t.Fatalf("history has %d entries, want 6: %+v", len(h), h)
	}
	s1, ack, s2, s3 := h[1], h[2], h[3], h[4]
	if s1.Action != domain.AlertActionSnoozed || s1.From != domain.AlertOpen || s1.To != domain.AlertOpen || s1.Actor != "user-1" ||
		s1.Note != "patching" || !sameTime(s1.Until, until) || !sameTime(s1.At, at) {
		t.Fatalf("snooze entry: %+v", s1)
	}
	if ack.Action != "" || !ack.Until.IsZero() || ack.To != domain.AlertAcknowledged {
		t.Fatalf("acknowledge entry: %+v", ack)
	}
	if s2.Action != domain.AlertActionUnsnoozed || s2.From != domain.AlertAcknowledged || s2.To != domain.AlertAcknowledged ||
		s2.Actor != "user-2" || !s2.Until.IsZero() {
		t.Fatalf("unsnooze entry: %+v", s2)
	}
	if s3.Action != domain.AlertActionSnoozed || h[5].To != domain.AlertResolved {
		t.Fatalf("last entries: %+v %+v", s3, h[5])
	}
	_, err = st.Alerts().Snooze(ctx, c.scope(), a.ID, domain.AlertSnooze{Until: until, Actor: "user-1", Note: string([]byte{0xff})})
	wantOneOf(t, "a note that is not UTF-8", err, domain.ErrInvalid)
}
