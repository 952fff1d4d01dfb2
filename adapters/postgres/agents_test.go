package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Adapter-specific checks of the agent stores: races and the COPY path.
// The shared contract is covered by TestAgentConformance.

// agentSite creates a partner, org and site and returns them.
func agentSite(t testing.TB, st *postgres.Store) (orgID, siteID string) {
	t.Helper()
	ctx, g := context.Background(), domain.GlobalScope()
	p := &domain.Partner{Name: "p-" + domain.NewID()}
	must(t, st.Partners().Create(ctx, g, p))
	o := &domain.Organization{PartnerID: p.ID, Name: "o"}
	must(t, st.Orgs().Create(ctx, g, o))
	s := &domain.Site{OrgID: o.ID, Name: "s"}
	must(t, st.Sites().Create(ctx, g, s))
	return o.ID, s.ID
}

// agentDevices creates n devices in siteID.
func agentDevices(t testing.TB, st *postgres.Store, siteID string, n int) []*domain.Device {
	t.Helper()
	out := make([]*domain.Device, n)
	for i := range out {
		d := &domain.Device{SiteID: siteID, Hostname: fmt.Sprintf("host-%d", i), Status: domain.DeviceOnline}
		must(t, st.Devices().Create(context.Background(), domain.GlobalScope(), d))
		out[i] = d
	}
	return out
}

func sample(deviceID string, at time.Time, cpu float64) domain.MetricSample {
	return domain.MetricSample{DeviceID: deviceID, At: at, CPUPercent: cpu, MemoryUsed: 1 << 30, MemoryTotal: 8 << 30,
		DiskUsed: 5 << 30, DiskTotal: 10 << 30, NetRxBps: 10, NetTxBps: 20, Load1: 0.5, Uptime: 99, ProcessCount: 42,
		Detail: `{"disks":[]}`}
}

func countMetrics(t testing.TB, st *postgres.Store, deviceID string) int {
	t.Helper()
	var n int
	must(t, st.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM device_metrics WHERE device_id = $1", deviceID).Scan(&n))
	return n
}

func TestEnrollmentKeyUseNeverExceedsMaxUses(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	_, siteID := agentSite(t, st)
	k := &domain.EnrollmentKey{SiteID: siteID, Name: "k", KeyHash: "hash-" + domain.NewID(),
		ExpiresAt: time.Now().Add(time.Hour), MaxUses: 5}
	must(t, st.EnrollmentKeys().Create(ctx, domain.GlobalScope(), k))

	const callers = 32
	var wg sync.WaitGroup
	errs := make([]error, callers)
	uses := make([]int, callers)
	for i := range callers {
		wg.Go(func() {
			got, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, time.Now())
			errs[i] = err
			if err == nil {
				uses[i] = got.Uses
			}
		})
	}
	wg.Wait()
	var ok []int
	for i, err := range errs {
		switch {
		case err == nil:
			ok = append(ok, uses[i])
		case !errors.Is(err, domain.ErrNotFound):
			t.Errorf("Use %d: %v, want nil or ErrNotFound", i, err)
		}
	}
	slices.Sort(ok)
	if !slices.Equal(ok, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("successful uses returned Uses %v, want exactly 1..5", ok)
	}
	got, err := st.EnrollmentKeys().Get(ctx, domain.GlobalScope(), k.ID)
	must(t, err)
	if got.Uses != 5 {
		t.Fatalf("stored Uses = %d, want 5", got.Uses)
	}
}

func TestTelemetryDuplicatesAndUnknownDevicesAreDropped(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	_, siteID := agentSite(t, st)
	d := agentDevices(t, st, siteID, 1)[0]
	at := time.Now().UTC().Truncate(time.Second)

	batch := []domain.MetricSample{
		sample(d.ID, at, 10),
		sample(d.ID, at, 99),                  // same (device, at) in the batch
		sample(domain.NewID(), at, 1),         // unknown device
		sample("not-a-uuid", at, 1),           // malformed id
		sample(d.ID, at.Add(time.Second), 20), // a second real sample
	}
	batch[4].Detail = "bad \xff utf-8 \x00" // must not fail the batch
	must(t, st.Telemetry().Write(ctx, batch, time.Time{}))
	// Redelivered in a later batch: ignored, the first stored value stays.
	must(t, st.Telemetry().Write(ctx, []domain.MetricSample{sample(d.ID, at, 55), sample(d.ID, at.Add(time.Second), 66)}, time.Time{}))

	if n := countMetrics(t, st, d.ID); n != 2 {
		t.Fatalf("%d samples stored, want 2", n)
	}
	var unknown int
	must(t, st.Pool().QueryRow(ctx, "SELECT count(*) FROM device_metrics WHERE device_id <> $1", d.ID).Scan(&unknown))
	if unknown != 0 {
		t.Fatalf("%d samples of unknown devices stored", unknown)
	}
	l, err := st.Telemetry().Latest(ctx, domain.GlobalScope(), d.ID)
	must(t, err)
	if !l.At.Equal(at.Add(time.Second)) || l.CPUPercent != 20 || l.Detail != "" {
		t.Fatalf("latest = %v cpu %v detail %q, want the first stored sample at %v (cpu 20, no detail)", l.At, l.CPUPercent, l.Detail, at.Add(time.Second))
	}
}

func TestTelemetryLatestNotOverwrittenByOlder(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	_, siteID := agentSite(t, st)
	d := agentDevices(t, st, siteID, 1)[0]
	t2 := time.Now().UTC().Truncate(time.Microsecond)
	t1 := t2.Add(-time.Minute)

	must(t, st.Telemetry().Write(ctx, []domain.MetricSample{sample(d.ID, t2, 2)}, time.Time{}))
	must(t, st.Telemetry().Write(ctx, []domain.MetricSample{sample(d.ID, t1, 1)}, time.Time{})) // a late buffered heartbeat
	l, err := st.Telemetry().Latest(ctx, domain.GlobalScope(), d.ID)
	must(t, err)
	if !l.At.Equal(t2) || l.CPUPercent != 2 {
		t.Fatalf("latest = %v (cpu %v), want the newer sample at %v", l.At, l.CPUPercent, t2)
	}
	got, err := st.Devices().Get(ctx, domain.GlobalScope(), d.ID)
	must(t, err)
	if !got.LastSeenAt.Equal(t2) {
		t.Fatalf("last_seen_at = %v, want %v (never lowered)", got.LastSeenAt, t2)
	}
	if got.Version != d.Version || !got.UpdatedAt.Equal(d.UpdatedAt) {
		t.Fatalf("Write bumped the device: version %d→%d, updated %v→%v", d.Version, got.Version, d.UpdatedAt, got.UpdatedAt)
	}
	if n := countMetrics(t, st, d.ID); n != 2 {
		t.Fatalf("%d samples stored, want 2 (the late one is history)", n)
	}
}

// Two nodes (two pools) write overlapping batches, in opposite device
// orders, while a third marks presence: nothing deadlocks or fails, and
// every sample is stored once.
func TestTelemetryWriteFromTwoPoolsConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st1 := open(t, url)
	if _, err := st1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st2 := open(t, url)
	_, siteID := agentSite(t, st1)
	devs := agentDevices(t, st1, siteID, 50)
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)

	const rounds = 20
	batch := func(round int, reverse bool) []domain.MetricSample {
		out := make([]domain.MetricSample, 0, len(devs))
		for i := range devs {
			j := i
			if reverse {
				j = len(devs) - 1 - i
			}
			out = append(out, sample(devs[j].ID, base.Add(time.Duration(round)*time.Second), float64(round)))
		}
		return out
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*rounds)
	for w, st := range []*postgres.Store{st1, st2} {
		wg.Go(func() {
			for r := range rounds {
				// Both nodes write every round: half the samples are redeliveries.
				if err := st.Telemetry().Write(ctx, batch(r, w == 1), time.Time{}); err != nil {
					errs <- fmt.Errorf("node %d round %d: %w", w, r, err)
				}
			}
		})
	}
	wg.Go(func() {
		for r := range rounds {
			ups := make([]domain.PresenceUpdate, 0, len(devs))
			for i := len(devs) - 1; i >= 0; i-- {
				ups = append(ups, domain.PresenceUpdate{DeviceID: devs[i].ID, Status: domain.DeviceOnline, LastSeenAt: base})
			}
			if err := st2.Presence().Mark(ctx, ups); err != nil {
				errs <- fmt.Errorf("mark round %d: %w", r, err)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	must(t, st1.Pool().QueryRow(ctx, "SELECT count(*) FROM device_metrics").Scan(&n))
	if n != rounds*len(devs) {
		t.Fatalf("%d samples stored, want %d", n, rounds*len(devs))
	}
	last := base.Add((rounds - 1) * time.Second)
	for _, d := range devs {
		l, err := st2.Telemetry().Latest(ctx, domain.GlobalScope(), d.ID)
		must(t, err)
		got, err := st2.Devices().Get(ctx, domain.GlobalScope(), d.ID)
		must(t, err)
		if !l.At.Equal(last) || !got.LastSeenAt.Equal(last) {
			t.Fatalf("device %s: latest %v, last seen %v; want both %v", d.ID, l.At, got.LastSeenAt, last)
		}
	}
}

// Inside InTx, Write runs in a savepoint on the transaction's connection:
// two Writes in one transaction keep their samples apart, and a rollback
// takes them all back.
func TestTelemetryWriteInsideTransaction(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	_, siteID := agentSite(t, st)
	d := agentDevices(t, st, siteID, 1)[0]
	at := time.Now().UTC().Truncate(time.Second)

	boom := errors.New("boom")
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		tel := tx.Telemetry()
		must(t, tel.Write(ctx, []domain.MetricSample{sample(d.ID, at, 1)}, time.Time{}))
		must(t, tel.Write(ctx, []domain.MetricSample{sample(d.ID, at.Add(time.Second), 2)}, time.Time{}))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if n := countMetrics(t, st, d.ID); n != 0 {
		t.Fatalf("%d samples survived the rollback", n)
	}
	must(t, st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		tel := tx.Telemetry()
		if err := tel.Write(ctx, []domain.MetricSample{sample(d.ID, at, 1)}, time.Time{}); err != nil {
			return err
		}
		return tel.Write(ctx, []domain.MetricSample{sample(d.ID, at.Add(time.Second), 2)}, time.Time{})
	}))
	if n := countMetrics(t, st, d.ID); n != 2 {
		t.Fatalf("%d samples stored, want 2", n)
	}
	// The pooled path still works after the session held a stage from InTx.
	for range 5 {
		must(t, st.Telemetry().Write(ctx, []domain.MetricSample{sample(d.ID, at.Add(time.Minute), 3)}, time.Time{}))
	}
	if n := countMetrics(t, st, d.ID); n != 3 {
		t.Fatalf("%d samples stored, want 3", n)
	}
}

// Prune works in chunks; everything older than the cutoff goes, nothing else.
func TestTelemetryPruneLargeBacklog(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	_, siteID := agentSite(t, st)
	devs := agentDevices(t, st, siteID, 5)
	base := time.Now().UTC().Truncate(time.Second).Add(-24 * time.Hour)
	var batch []domain.MetricSample
	for i := range 5000 {
		for _, d := range devs {
			batch = append(batch, sample(d.ID, base.Add(time.Duration(i)*time.Second), 1))
		}
	}
	must(t, st.Telemetry().Write(ctx, batch, time.Time{}))
	cut := base.Add(4000 * time.Second)
	n, err := st.Telemetry().Prune(ctx, cut)
	must(t, err)
	if n != 4000*5 {
		t.Fatalf("Prune = %d, want %d", n, 4000*5)
	}
	var left int
	var oldest time.Time
	must(t, st.Pool().QueryRow(ctx, "SELECT count(*), min(at) FROM device_metrics").Scan(&left, &oldest))
	if left != 1000*5 || !oldest.Equal(cut) {
		t.Fatalf("%d samples left, oldest %v; want %d from %v", left, oldest, 1000*5, cut)
	}
}

// A Write that fails on the server rolls back whole, and leaves its
// connection (the only one of the pool) clean: no open transaction, no
// stale rows in the staging table for the next Write.
func TestTelemetryFailedWriteLeavesConnectionClean(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, siteID := agentSite(t, st)
	devs := agentDevices(t, st, siteID, 2)
	// A test-only trigger refuses one poisoned CPU value.
	_, err = st.Pool().Exec(ctx, `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.cpu_percent = 666 THEN RAISE EXCEPTION 'poisoned sample'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON device_metrics FOR EACH ROW EXECUTE FUNCTION refuse_poison()`)
	must(t, err)
	at := time.Now().UTC().Truncate(time.Second)

	for _, tx := range []bool{false, true} {
		write := func(s []domain.MetricSample) error { return st.Telemetry().Write(ctx, s, time.Time{}) }
		if tx {
			write = func(s []domain.MetricSample) error {
				return st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
					return tx.Telemetry().Write(ctx, s, time.Time{})
				})
			}
		}
		at = at.Add(time.Minute)
		if err := write([]domain.MetricSample{sample(devs[0].ID, at, 1), sample(devs[1].ID, at, 666)}); err == nil {
			t.Fatalf("in tx %v: a poisoned batch was accepted", tx)
		}
		if n := countMetrics(t, st, devs[0].ID); n != 0 {
			t.Fatalf("in tx %v: %d samples of a failed batch were kept", tx, n)
		}
		got, err := st.Devices().Get(ctx, domain.GlobalScope(), devs[0].ID)
		must(t, err)
		if !got.LastSeenAt.IsZero() {
			t.Fatalf("in tx %v: a failed batch raised last_seen_at to %v", tx, got.LastSeenAt)
		}
		// The next batch on the same connection holds only its own sample.
		must(t, write([]domain.MetricSample{sample(devs[1].ID, at.Add(time.Second), 2)}))
		if n0, n1 := countMetrics(t, st, devs[0].ID), countMetrics(t, st, devs[1].ID); n0 != 0 || n1 != 1 {
			t.Fatalf("in tx %v: after a failed batch the next stored %d and %d samples, want 0 and 1", tx, n0, n1)
		}
		_, err = st.Pool().Exec(ctx, "DELETE FROM device_metrics")
		must(t, err)
	}

	// A cancelled context fails fast and leaves the connection usable too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Telemetry().Write(cctx, []domain.MetricSample{sample(devs[0].ID, at.Add(time.Hour), 1)}, time.Time{}); err == nil {
		t.Fatal("Write with a cancelled context succeeded")
	}
	must(t, st.Telemetry().Write(ctx, []domain.MetricSample{sample(devs[0].ID, at.Add(2*time.Hour), 1)}, time.Time{}))
	if n := countMetrics(t, st, devs[0].ID); n != 1 {
		t.Fatalf("%d samples after a cancelled and a good Write, want 1", n)
	}
}

// Deleting a key's group keeps the key (it still enrolls into its site)
// and clears only its group: the composite foreign key's SET NULL names
// group_id alone, so org_id stays.
func TestEnrollmentKeyOutlivesItsGroup(t *testing.T) {
	ctx, g := context.Background(), domain.GlobalScope()
	st := newStore(t)
	orgID, siteID := agentSite(t, st)
	grp := &domain.DeviceGroup{OrgID: orgID, SiteID: siteID, Name: "g"}
	must(t, st.DeviceGroups().Create(ctx, g, grp))
	k := &domain.EnrollmentKey{SiteID: siteID, GroupID: grp.ID, Name: "k", KeyHash: "h-" + domain.NewID(),
		ExpiresAt: time.Now().Add(time.Hour)}
	must(t, st.EnrollmentKeys().Create(ctx, g, k))
	if k.GroupID != grp.ID || k.OrgID != orgID {
		t.Fatalf("created key group %q org %q, want %q %q", k.GroupID, k.OrgID, grp.ID, orgID)
	}
	must(t, st.DeviceGroups().Delete(ctx, g, grp.ID))
	got, err := st.EnrollmentKeys().Get(ctx, g, k.ID)
	must(t, err)
	if got.GroupID != "" || got.OrgID != orgID || got.SiteID != siteID {
		t.Fatalf("after the group's delete: group %q org %q site %q; want no group, same org and site", got.GroupID, got.OrgID, got.SiteID)
	}
	if _, err := st.EnrollmentKeys().Use(ctx, k.KeyHash, time.Now()); err != nil {
		t.Fatalf("Use after the group's delete: %v", err)
	}
}
