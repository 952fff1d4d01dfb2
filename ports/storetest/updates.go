package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunUpdates runs the agent release and rollout cases.
func RunUpdates(t *testing.T, newStore Factory) {
	t.Helper()
	t.Run("Releases", func(t *testing.T) { testReleases(t, newStore(t)) })
	t.Run("Rollouts", func(t *testing.T) { testRollouts(t, newStore(t)) })
}

func testReleases(t *testing.T, st ports.Store) {
	ctx := t.Context()
	u := st.Updates()
	sha := "ab" + strings.Repeat("0", 62)
	r := &domain.AgentRelease{Version: "1.2.3", OS: "linux", Arch: "amd64", SHA256: sha, Size: 3, Signature: "sig", CreatedBy: "user:u1"}
	must(t, "create release", u.CreateRelease(ctx, r, []byte{1, 2, 3}))
	checkNewID(t, "release", r.ID)
	dup := *r
	dup.ID = ""
	if err := u.CreateRelease(ctx, &dup, []byte{1}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("the same version and platform again: %v, want ErrConflict", err)
	}
	other := &domain.AgentRelease{Version: "1.2.3", OS: "linux", Arch: "arm64", SHA256: sha, Size: 1, Signature: "s"}
	must(t, "the same version for another arch", u.CreateRelease(ctx, other, []byte{9}))
	got, err := u.FindRelease(ctx, "1.2.3", "linux", "amd64")
	must(t, "find", err)
	if got.ID != r.ID || got.Size != 3 || got.SHA256 != sha || got.CreatedBy != "user:u1" || got.CreatedAt.IsZero() {
		t.Fatalf("found %+v", got)
	}
	if _, err := u.FindRelease(ctx, "9.9.9", "linux", "amd64"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("find a missing version: %v", err)
	}
	data, err := u.ReleaseData(ctx, r.ID)
	must(t, "data", err)
	if string(data) != "\x01\x02\x03" {
		t.Fatalf("data %v", data)
	}
	list, err := u.ListReleases(ctx)
	must(t, "list", err)
	if len(list) != 2 {
		t.Fatalf("listed %d releases, want 2", len(list))
	}
	if _, err := u.GetRelease(ctx, "not-an-id"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("get a malformed id: %v", err)
	}
}

func testRollouts(t *testing.T, st ports.Store) {
	ctx := t.Context()
	u := st.Updates()
	c := newChain(t, st)
	d1, d2 := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	r := &domain.Rollout{PartnerID: c.partner.ID, OrgID: c.org.ID, ScopeKind: domain.RolloutScopeOrg, ScopeID: c.org.ID,
		Version: "1.2.3", Stages: []int{10, 100}, PauseSeconds: 5, FailureThreshold: 20, TrialSeconds: 30, CreatedBy: "user:u1"}
	must(t, "create rollout", u.CreateRollout(ctx, r))
	if r.State != domain.RolloutActive || r.RowVersion != 1 || r.Stage != 0 {
		t.Fatalf("created %+v", r)
	}
	second := &domain.Rollout{PartnerID: c.partner.ID, OrgID: c.org.ID, ScopeKind: domain.RolloutScopeOrg, ScopeID: c.org.ID,
		Version: "1.2.4", Stages: []int{100}, FailureThreshold: 0}
	if err := u.CreateRollout(ctx, second); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a second running rollout for one scope: %v, want ErrConflict", err)
	}
	site := &domain.Rollout{PartnerID: c.partner.ID, OrgID: c.org.ID, SiteID: c.site.ID, ScopeKind: domain.RolloutScopeSite,
		ScopeID: c.site.ID, Version: "1.2.4", Stages: []int{100}}
	must(t, "another scope", u.CreateRollout(ctx, site))

	// compare-and-set
	stale := *r
	next := time.Now().Add(time.Minute).UTC().Truncate(time.Millisecond)
	r.State, r.Stage, r.NextStageAt = domain.RolloutPaused, 1, &next
	ok, err := u.UpdateRollout(ctx, r)
	must(t, "update", err)
	if !ok || r.RowVersion != 2 {
		t.Fatalf("update: ok %v version %d", ok, r.RowVersion)
	}
	if ok, err := u.UpdateRollout(ctx, &stale); err != nil || ok {
		t.Fatalf("a stale update: ok %v err %v", ok, err)
	}
	got, err := u.GetRollout(ctx, r.ID)
	must(t, "get", err)
	if got.State != domain.RolloutPaused || got.Stage != 1 || got.NextStageAt == nil || !got.NextStageAt.Equal(next) ||
		len(got.Stages) != 2 || got.Stages[1] != 100 || got.TrialSeconds != 30 || got.FailureThreshold != 20 || got.PauseSeconds != 5 {
		t.Fatalf("read back %+v", got)
	}
	// paused still holds the scope; stopped frees it
	if err := u.CreateRollout(ctx, second); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a rollout for a scope with a paused one: %v", err)
	}
	running, err := u.RunningRollouts(ctx)
	must(t, "running", err)
	if len(running) != 1 || running[0].ID != site.ID {
		t.Fatalf("running %+v, want only the site rollout (the org one is paused)", running)
	}

	// devices
	at := time.Now().UTC().Truncate(time.Millisecond)
	list := []domain.DeviceUpdate{
		{RolloutID: r.ID, DeviceID: d1.ID, OrgID: c.org.ID, Stage: 0, State: domain.DeviceUpdatePending, FromVersion: "1.0.0", UpdatedAt: at},
		{RolloutID: r.ID, DeviceID: d2.ID, OrgID: c.org.ID, Stage: 1, State: domain.DeviceUpdatePending, UpdatedAt: at},
	}
	n, err := u.AssignDevices(ctx, list)
	must(t, "assign", err)
	if n != 2 {
		t.Fatalf("assigned %d, want 2", n)
	}
	if n, err := u.AssignDevices(ctx, list[:1]); err != nil || n != 0 {
		t.Fatalf("assigning again: %d, %v", n, err)
	}
	ok, err = u.SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: d1.ID, State: domain.DeviceUpdateOffered,
		OfferedAt: &at, UpdatedAt: at}, []string{domain.DeviceUpdatePending})
	must(t, "offer", err)
	if !ok {
		t.Fatal("pending → offered refused")
	}
	ok, err = u.SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: d1.ID, State: domain.DeviceUpdateOffered,
		UpdatedAt: at}, []string{domain.DeviceUpdatePending})
	must(t, "offer again", err)
	if ok {
		t.Fatal("a transition from a state the device is not in was applied")
	}
	must2 := func(ok bool, err error) {
		t.Helper()
		must(t, "set", err)
		if !ok {
			t.Fatal("transition refused")
		}
	}
	must2(u.SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: d1.ID, State: domain.DeviceUpdateFailed,
		Error: "bad signature", UpdatedAt: at.Add(time.Second)}, nil))
	all, err := u.DeviceUpdates(ctx, r.ID)
	must(t, "list devices", err)
	if len(all) != 2 || all[0].DeviceID != d1.ID || all[0].State != domain.DeviceUpdateFailed || all[0].Error != "bad signature" ||
		all[0].OfferedAt == nil || !all[0].OfferedAt.Equal(at) || all[0].FromVersion != "1.0.0" || all[1].Stage != 1 {
		t.Fatalf("device updates %+v", all)
	}
	latest, err := u.LatestDeviceUpdate(ctx, d1.ID)
	must(t, "latest", err)
	if latest.RolloutID != r.ID || latest.State != domain.DeviceUpdateFailed {
		t.Fatalf("latest %+v", latest)
	}
	d3 := newDevice(t, st, c.site.ID, "")
	if _, err := u.LatestDeviceUpdate(ctx, d3.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("latest of a device in no rollout: %v", err)
	}
	// stale: only running (active) rollouts
	must2(u.SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: d2.ID, State: domain.DeviceUpdateOffered, UpdatedAt: at}, nil))
	stales, err := u.StaleDeviceUpdates(ctx, []string{domain.DeviceUpdateOffered}, at.Add(time.Hour), 10)
	must(t, "stale (paused)", err)
	if len(stales) != 0 {
		t.Fatalf("stale devices of a paused rollout: %+v", stales)
	}
	r.State = domain.RolloutActive
	must2(u.UpdateRollout(ctx, r))
	stales, err = u.StaleDeviceUpdates(ctx, []string{domain.DeviceUpdateOffered}, at.Add(time.Hour), 10)
	must(t, "stale", err)
	if len(stales) != 1 || stales[0].DeviceID != d2.ID {
		t.Fatalf("stale %+v", stales)
	}
	r.State = domain.RolloutStopped
	must2(u.UpdateRollout(ctx, r))
	must(t, "a new rollout once the old one stopped", u.CreateRollout(ctx, second))
	rs, err := u.ListRollouts(ctx)
	must(t, "list rollouts", err)
	if len(rs) != 3 || rs[0].ID != second.ID {
		t.Fatalf("listed %d rollouts, newest %s", len(rs), rs[0].ID)
	}
}
