package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunSchedules runs the schedule and fire cases.
func RunSchedules(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Schedules", testSchedules},
		{"ScheduleScoping", testScheduleScoping},
		{"ScheduleDue", testScheduleDue},
		{"ScheduleFires", testScheduleFires},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func cronSchedule(orgID string) *domain.Schedule {
	return &domain.Schedule{OrgID: orgID, Name: uniq("nightly"), Enabled: true, TimeZone: "Europe/Berlin", Cron: "30 2 * * 1-5",
		TargetKind: domain.TargetOrg, TargetIDs: []string{orgID}, TaskKind: domain.ScheduleTaskAction, Action: "uptime",
		Payload: json.RawMessage(`{}`), Offline: domain.OfflineSkip, CreatedBy: "u1"}
}

func testSchedules(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	next := time.Date(2026, 5, 4, 0, 30, 0, 0, time.UTC)
	sc := cronSchedule(c.org.ID)
	sc.Description, sc.NextFireAt, sc.GraceMinutes = "patch check", &next, 15
	must(t, "create", st.Schedules().Create(ctx, c.scope(), sc))
	checkNewID(t, "schedule", sc.ID)
	if sc.PartnerID != c.partner.ID || sc.Version != 1 {
		t.Fatalf("created schedule: partner %q version %d", sc.PartnerID, sc.Version)
	}
	checkStamps(t, "schedule", sc.CreatedAt, sc.UpdatedAt)
	got, err := st.Schedules().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, sc.ID)
	must(t, "get by a site holder", err)
	if got.Name != sc.Name || got.Description != "patch check" || !got.Enabled || got.TimeZone != "Europe/Berlin" ||
		got.Cron != "30 2 * * 1-5" || got.RunAt != nil || got.TargetKind != domain.TargetOrg || len(got.TargetIDs) != 1 ||
		got.TaskKind != domain.ScheduleTaskAction || got.Action != "uptime" || got.Offline != domain.OfflineSkip ||
		got.GraceMinutes != 15 || got.NextFireAt == nil || !got.NextFireAt.Equal(next) || got.LastFireAt != nil ||
		got.CreatedBy != "u1" || got.OrgID != c.org.ID {
		t.Fatalf("read back %+v", got)
	}
	checkUTC(t, "next fire", *got.NextFireAt)
	dup := *sc
	dup.ID = ""
	wantIs(t, "duplicate name", st.Schedules().Create(ctx, c.scope(), &dup), domain.ErrConflict)
	both := cronSchedule(c.org.ID)
	both.RunAt = &next
	wantIs(t, "cron and runAt", st.Schedules().Create(ctx, c.scope(), both), domain.ErrInvalid)
	nul := cronSchedule(c.org.ID)
	nul.Name = "a\x00b"
	wantIs(t, "NUL name", st.Schedules().Create(ctx, c.scope(), nul), domain.ErrInvalid)

	// A partner-wide one-off running a script with parameters.
	sid := domain.NewID()
	once := &domain.Schedule{PartnerID: c.partner.ID, Name: uniq("once"), Enabled: true, TimeZone: "UTC", RunAt: &next,
		TargetKind: domain.TargetGroup, TargetIDs: []string{domain.NewID()}, TaskKind: domain.ScheduleTaskScript,
		ScriptID: sid, Params: json.RawMessage(`{"path":"/tmp"}`), Offline: domain.OfflineWhenOnline, GraceMinutes: 60}
	must(t, "create partner-wide", st.Schedules().Create(ctx, c.scope(), once))
	got, err = st.Schedules().Get(ctx, domain.Scope{OrgIDs: []string{c.org.ID}}, once.ID)
	must(t, "an org holder reads the partner schedule", err)
	var params map[string]string
	_ = json.Unmarshal(got.Params, &params)
	if got.OrgID != "" || got.RunAt == nil || !got.RunAt.Equal(next) || got.Cron != "" || got.ScriptID != sid ||
		params["path"] != "/tmp" || got.Offline != domain.OfflineWhenOnline {
		t.Fatalf("partner schedule read back %+v", got)
	}
	page, err := st.Schedules().List(ctx, c.scope(), ports.ScheduleFilter{OrgID: c.org.ID}, domain.PageRequest{})
	must(t, "list", err)
	wantIDs(t, "list by org", ids(page.Items, func(s *domain.Schedule) string { return s.ID }), []string{sc.ID, once.ID})
	off := false
	page, err = st.Schedules().List(ctx, c.scope(), ports.ScheduleFilter{Enabled: &off}, domain.PageRequest{})
	must(t, "list disabled", err)
	if len(page.Items) != 0 {
		t.Fatalf("disabled list: %d items", len(page.Items))
	}
	// Update with version (the fire bookkeeping but NextFireAt is kept).
	sc.Enabled, sc.Cron, sc.NextFireAt = false, "0 * * * *", nil
	up, err := st.Schedules().Update(ctx, c.scope(), sc)
	must(t, "update", err)
	if up.Version != 2 || up.Enabled || up.Cron != "0 * * * *" || up.NextFireAt != nil || up.CreatedBy != "u1" {
		t.Fatalf("updated: %+v", up)
	}
	_, err = st.Schedules().Update(ctx, c.scope(), sc)
	wantIs(t, "stale version", err, domain.ErrConflict)
	must(t, "delete", st.Schedules().Delete(ctx, c.scope(), sc.ID))
	_, err = st.Schedules().Get(ctx, c.scope(), sc.ID)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
}

func testScheduleScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	a, b := newChain(t, st), newChain(t, st)
	sc := cronSchedule(a.org.ID)
	must(t, "create", st.Schedules().Create(ctx, a.scope(), sc))
	_, err := st.Schedules().Get(ctx, b.scope(), sc.ID)
	wantIs(t, "foreign get", err, domain.ErrNotFound)
	sc2 := *sc
	sc2.Name = "renamed"
	_, err = st.Schedules().Update(ctx, b.scope(), &sc2)
	wantIs(t, "foreign update", err, domain.ErrNotFound)
	wantIs(t, "foreign delete", st.Schedules().Delete(ctx, b.scope(), sc.ID), domain.ErrNotFound)
	other := cronSchedule(a.org.ID)
	wantIs(t, "create in a foreign org", st.Schedules().Create(ctx, b.scope(), other), domain.ErrNotFound)
	page, err := st.Schedules().List(ctx, b.scope(), ports.ScheduleFilter{}, domain.PageRequest{})
	must(t, "foreign list", err)
	if len(page.Items) != 0 {
		t.Fatalf("foreign list sees %d schedules", len(page.Items))
	}
	// A site holder reads but does not write its org's schedule.
	site := domain.Scope{SiteIDs: []string{a.site.ID}}
	wantIs(t, "site holder delete", st.Schedules().Delete(ctx, site, sc.ID), domain.ErrNotFound)
}

func testScheduleDue(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	base := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	mk := func(next *time.Time, enabled bool) *domain.Schedule {
		sc := cronSchedule(c.org.ID)
		sc.NextFireAt, sc.Enabled = next, enabled
		must(t, "create", st.Schedules().Create(ctx, c.scope(), sc))
		return sc
	}
	t1, t2, t3 := base.Add(-2*time.Minute), base.Add(-time.Minute), base.Add(time.Minute)
	late, early, future := mk(&t2, true), mk(&t1, true), mk(&t3, true)
	mk(&t1, false)
	mk(nil, true)
	due, err := st.Schedules().Due(ctx, base, 10)
	must(t, "due", err)
	var mine []string
	for _, d := range due {
		if d.PartnerID == c.partner.ID {
			mine = append(mine, d.ID)
		}
	}
	if len(mine) != 2 || mine[0] != early.ID || mine[1] != late.ID {
		t.Fatalf("due = %v, want [%s %s] (oldest first; disabled, future and unset left out)", mine, early.ID, late.ID)
	}
	// Advance is a compare-and-set on NextFireAt; the version stays.
	ok, err := st.Schedules().Advance(ctx, early.ID, &t1, &t3)
	must(t, "advance", err)
	if !ok {
		t.Fatal("advance from the stored value failed")
	}
	ok, err = st.Schedules().Advance(ctx, early.ID, &t1, &t3)
	must(t, "advance again", err)
	if ok {
		t.Fatal("a second advance from the old value succeeded")
	}
	ok, err = st.Schedules().Advance(ctx, future.ID, &t3, nil)
	must(t, "advance to none", err)
	got, err := st.Schedules().Get(ctx, c.scope(), early.ID)
	must(t, "get", err)
	if !ok || got.NextFireAt == nil || !got.NextFireAt.Equal(t3) || got.Version != 1 {
		t.Fatalf("after advance: next %v version %d", got.NextFireAt, got.Version)
	}
	// Concurrent advances from one value: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			to := base.Add(time.Duration(i+10) * time.Minute)
			if ok, err := st.Schedules().Advance(ctx, late.ID, &t2, &to); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent advances won, want 1", wins)
	}
	must(t, "fired", st.Schedules().Fired(ctx, late.ID, t2, "script deleted"))
	must(t, "fired older", st.Schedules().Fired(ctx, late.ID, t1, "script deleted"))
	got, err = st.Schedules().Get(ctx, c.scope(), late.ID)
	must(t, "get", err)
	if got.LastFireAt == nil || !got.LastFireAt.Equal(t2) || got.LastError != "script deleted" {
		t.Fatalf("after fired: last %v error %q", got.LastFireAt, got.LastError)
	}
}

func testScheduleFires(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	sc := cronSchedule(c.org.ID)
	must(t, "create", st.Schedules().Create(ctx, c.scope(), sc))
	at := time.Date(2030, 1, 1, 1, 30, 0, 0, time.UTC)
	f := &domain.ScheduleFire{ScheduleID: sc.ID, FireAt: at, Status: domain.FireFired}
	must(t, "create fire", st.Schedules().CreateFire(ctx, f))
	checkNewID(t, "fire", f.ID)
	if f.PartnerID != c.partner.ID || f.OrgID != c.org.ID || !f.FireAt.Equal(at) || f.FiredAt.IsZero() {
		t.Fatalf("created fire %+v", f)
	}
	again := &domain.ScheduleFire{ScheduleID: sc.ID, FireAt: at, Status: domain.FireFired}
	wantIs(t, "the same fire twice", st.Schedules().CreateFire(ctx, again), domain.ErrConflict)
	wantIs(t, "fire of no schedule", st.Schedules().CreateFire(ctx, &domain.ScheduleFire{ScheduleID: domain.NewID(), FireAt: at,
		Status: domain.FireFired}), domain.ErrNotFound)
	// Racing creates of one fire: exactly one stored.
	race := at.Add(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Schedules().CreateFire(ctx, &domain.ScheduleFire{ScheduleID: sc.ID, FireAt: race, Status: domain.FireFired}); err == nil {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("%d racing fires stored, want 1", created)
	}
	runID := domain.NewID()
	f.Status, f.Error, f.ScriptRunID, f.CommandIDs = domain.FireFailed, "boom", runID, []string{"c1", "c2"}
	must(t, "update fire", st.Schedules().UpdateFire(ctx, f))
	got, err := st.Schedules().GetFire(ctx, sc.ID, at)
	must(t, "get fire", err)
	if got.Status != domain.FireFailed || got.Error != "boom" || got.ScriptRunID != runID || len(got.CommandIDs) != 2 {
		t.Fatalf("fire read back %+v", got)
	}
	_, err = st.Schedules().GetFire(ctx, sc.ID, at.Add(time.Minute))
	wantIs(t, "unknown fire", err, domain.ErrNotFound)
	page, err := st.Schedules().ListFires(ctx, sc.ID, domain.PageRequest{Limit: 1})
	must(t, "list fires", err)
	if len(page.Items) != 1 || page.NextCursor == "" || !page.Items[0].FireAt.Equal(race) {
		t.Fatalf("first page %+v", page)
	}
	page, err = st.Schedules().ListFires(ctx, sc.ID, domain.PageRequest{Limit: 1, Cursor: page.NextCursor})
	must(t, "list fires page 2", err)
	if len(page.Items) != 1 || page.Items[0].ID != f.ID {
		t.Fatalf("second page %+v", page)
	}
	// Deleting the schedule deletes its fires.
	must(t, "delete", st.Schedules().Delete(ctx, c.scope(), sc.ID))
	_, err = st.Schedules().GetFire(ctx, sc.ID, at)
	wantIs(t, "fire of a deleted schedule", err, domain.ErrNotFound)
}
