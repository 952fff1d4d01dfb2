package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// agentFixture is one partner, org and site with n devices in it.
type agentFixture struct {
	st      *Store
	site    *domain.Site
	devices []*domain.Device
}

func newAgentFixture(t testing.TB, n int) *agentFixture {
	t.Helper()
	ctx := context.Background()
	g := domain.GlobalScope()
	fx := &agentFixture{st: openTest(t, filepath.Join(t.TempDir(), "a.db"))}
	p := &domain.Partner{Name: "P"}
	must(t, fx.st.Partners().Create(ctx, g, p))
	o := &domain.Organization{PartnerID: p.ID, Name: "O"}
	must(t, fx.st.Orgs().Create(ctx, g, o))
	fx.site = &domain.Site{OrgID: o.ID, Name: "S"}
	must(t, fx.st.Sites().Create(ctx, g, fx.site))
	must(t, fx.st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		for i := range n {
			d := &domain.Device{SiteID: fx.site.ID, Hostname: fmt.Sprintf("host-%05d", i), Status: domain.DeviceOnline}
			if err := tx.Devices().Create(ctx, g, d); err != nil {
				return err
			}
			fx.devices = append(fx.devices, d)
		}
		return nil
	}))
	return fx
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func countRows(t testing.TB, st *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.ReaderDB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func sample(deviceID string, at time.Time, cpu float64) domain.MetricSample {
	return domain.MetricSample{
		DeviceID: deviceID, At: at, CPUPercent: cpu, MemoryUsed: 4 << 30, MemoryTotal: 16 << 30,
		DiskUsed: 100 << 30, DiskTotal: 500 << 30, NetRxBps: 1200.5, NetTxBps: 800.25, Load1: 0.42,
		Uptime: 86400, ProcessCount: 212,
		Detail: `{"disks":[{"mount":"/","used":107374182400,"total":536870912000}],"network":[{"name":"eth0","rxBps":1200.5,"txBps":800.25}]}`,
	}
}

// 32 concurrent Use calls on a key with MaxUses 5: exactly 5 succeed, the
// others see ErrNotFound, and the stored count is 5.
func TestEnrollmentKeyUseNeverExceedsMaxUses(t *testing.T) {
	fx := newAgentFixture(t, 0)
	ctx := context.Background()
	k := &domain.EnrollmentKey{SiteID: fx.site.ID, Name: "k", Prefix: "bek_abc", KeyHash: "hash-1",
		ExpiresAt: time.Now().Add(time.Hour), MaxUses: 5}
	must(t, fx.st.EnrollmentKeys().Create(ctx, domain.GlobalScope(), k))
	if k.ID == "" || k.OrgID != fx.site.OrgID || k.PartnerID != fx.site.PartnerID || k.Uses != 0 {
		t.Fatalf("created key = %+v", k)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, notFound := 0, 0
	uses := map[int]bool{}
	for range 32 {
		wg.Go(func() {
			got, err := fx.st.EnrollmentKeys().Use(ctx, "hash-1", time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				uses[got.Uses] = true
			case errors.Is(err, domain.ErrNotFound):
				notFound++
			default:
				t.Errorf("Use: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || notFound != 27 {
		t.Fatalf("Use: %d succeeded, %d not found; want 5 and 27", ok, notFound)
	}
	for i := 1; i <= 5; i++ {
		if !uses[i] {
			t.Errorf("no Use returned Uses=%d (got %v)", i, uses)
		}
	}
	got, err := fx.st.EnrollmentKeys().Get(ctx, domain.GlobalScope(), k.ID)
	must(t, err)
	if got.Uses != 5 {
		t.Fatalf("stored uses = %d, want 5", got.Uses)
	}
}

func TestEnrollmentKeyUseRefusesExpiredAndRevoked(t *testing.T) {
	fx := newAgentFixture(t, 0)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	k := &domain.EnrollmentKey{SiteID: fx.site.ID, Name: "k", KeyHash: "h", ExpiresAt: exp}
	must(t, fx.st.EnrollmentKeys().Create(ctx, domain.GlobalScope(), k))
	if _, err := fx.st.EnrollmentKeys().Use(ctx, "h", exp); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Use at ExpiresAt = %v, want ErrNotFound", err)
	}
	if _, err := fx.st.EnrollmentKeys().Use(ctx, "h", exp.Add(-time.Second)); err != nil {
		t.Fatalf("Use before expiry: %v", err)
	}
	// another tenant's scope cannot revoke it
	other := domain.Scope{OrgIDs: []string{domain.NewID()}}
	if err := fx.st.EnrollmentKeys().Revoke(ctx, other, k.ID, time.Now()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("foreign Revoke = %v, want ErrNotFound", err)
	}
	first := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	must(t, fx.st.EnrollmentKeys().Revoke(ctx, domain.Scope{SiteIDs: []string{fx.site.ID}}, k.ID, first))
	must(t, fx.st.EnrollmentKeys().Revoke(ctx, domain.GlobalScope(), k.ID, time.Now()))
	got, err := fx.st.EnrollmentKeys().Get(ctx, domain.GlobalScope(), k.ID)
	must(t, err)
	if !got.RevokedAt.Equal(first) {
		t.Fatalf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, first)
	}
	if _, err := fx.st.EnrollmentKeys().Use(ctx, "h", time.Now()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Use of a revoked key = %v, want ErrNotFound", err)
	}
}

// A redelivered sample (same device and at) is ignored, not an error, and
// the first stored values stay.
func TestTelemetryDuplicateSamplesIgnored(t *testing.T) {
	fx := newAgentFixture(t, 1)
	ctx := context.Background()
	id := fx.devices[0].ID
	at := time.Now().UTC().Truncate(time.Microsecond)
	must(t, fx.st.Telemetry().Write(ctx, []domain.MetricSample{sample(id, at, 10), sample(id, at, 20)}, time.Time{}))
	must(t, fx.st.Telemetry().Write(ctx, []domain.MetricSample{sample(id, at, 30)}, time.Time{}))
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_metrics WHERE device_id = ?", id); n != 1 {
		t.Fatalf("%d rows stored, want 1", n)
	}
	var cpu float64
	must(t, fx.st.ReaderDB().QueryRow("SELECT cpu_percent FROM device_metrics WHERE device_id = ?", id).Scan(&cpu))
	if cpu != 10 {
		t.Fatalf("stored cpu = %v, want the first sample's 10", cpu)
	}
	l, err := fx.st.Telemetry().Latest(ctx, domain.GlobalScope(), id)
	must(t, err)
	if l.CPUPercent != 10 || !l.At.Equal(at) {
		t.Fatalf("latest = %+v, want the first sample", l)
	}
}

// A late buffered sample is stored but never replaces a fresher latest one
// nor lowers last_seen_at; neither moves the device's version.
func TestTelemetryLatestNotOverwrittenByOlder(t *testing.T) {
	fx := newAgentFixture(t, 1)
	ctx := context.Background()
	d := fx.devices[0]
	t2 := time.Now().UTC().Truncate(time.Microsecond)
	t1 := t2.Add(-time.Minute)
	want := sample(d.ID, t2, 55.5)
	want.MemoryUsed = 1<<63 + 5 // past int64: clamped
	must(t, fx.st.Telemetry().Write(ctx, []domain.MetricSample{want}, time.Time{}))
	must(t, fx.st.Telemetry().Write(ctx, []domain.MetricSample{sample(d.ID, t1, 99)}, time.Time{}))
	l, err := fx.st.Telemetry().Latest(ctx, domain.Scope{SiteIDs: []string{fx.site.ID}}, d.ID)
	must(t, err)
	if !l.At.Equal(t2) || l.CPUPercent != 55.5 || l.Detail != want.Detail || l.ProcessCount != 212 || l.MemoryUsed != 1<<63-1 {
		t.Fatalf("latest = %+v, want the sample at %v", l, t2)
	}
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_metrics WHERE device_id = ?", d.ID); n != 2 {
		t.Fatalf("%d rows stored, want 2", n)
	}
	got, err := fx.st.Devices().Get(ctx, domain.GlobalScope(), d.ID)
	must(t, err)
	if !got.LastSeenAt.Equal(t2) || got.Version != d.Version || !got.UpdatedAt.Equal(d.UpdatedAt) {
		t.Fatalf("device after Write = %+v; want last seen %v, version %d untouched", got, t2, d.Version)
	}
	if _, err := fx.st.Telemetry().Latest(ctx, domain.Scope{OrgIDs: []string{domain.NewID()}}, d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("foreign Latest = %v, want ErrNotFound", err)
	}
}

// Samples of unknown or malformed devices are dropped; the rest of the
// batch is stored. Inside InTx, Write joins the transaction.
func TestTelemetryUnknownDevicesDropped(t *testing.T) {
	fx := newAgentFixture(t, 1)
	ctx := context.Background()
	id := fx.devices[0].ID
	at := time.Now().UTC()
	must(t, fx.st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		return tx.(*Store).Telemetry().Write(ctx, []domain.MetricSample{
			sample(domain.NewID(), at, 1), sample("not-an-id", at, 2), sample(id, at, 3)}, time.Time{})
	}))
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_metrics"); n != 1 {
		t.Fatalf("%d rows stored, want 1", n)
	}
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_latest"); n != 1 {
		t.Fatalf("%d latest rows, want 1", n)
	}
	if err := fx.st.Telemetry().Write(ctx, []domain.MetricSample{{DeviceID: id}}, time.Time{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Write without At = %v, want ErrInvalid", err)
	}
}

// Volume sanity: 20 batches of 500 over 1000 devices all land, one latest
// row per device; the rate is logged (benchmarks measure it).
func TestTelemetryWriteVolume(t *testing.T) {
	const devices, batch, batches = 1000, 500, 20
	fx := newAgentFixture(t, devices)
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	start := time.Now()
	for b := range batches {
		buf := make([]domain.MetricSample, batch)
		for i := range buf {
			k := b*batch + i
			buf[i] = sample(fx.devices[k%devices].ID, base.Add(time.Duration(k/devices)*time.Minute), float64(k%100))
		}
		must(t, fx.st.Telemetry().Write(ctx, buf, time.Time{}))
	}
	elapsed := time.Since(start)
	t.Logf("%d rows in %v: %.0f rows/s", batch*batches, elapsed, float64(batch*batches)/elapsed.Seconds())
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_metrics"); n != batch*batches {
		t.Fatalf("%d rows stored, want %d", n, batch*batches)
	}
	if n := countRows(t, fx.st, "SELECT count(*) FROM device_latest"); n != devices {
		t.Fatalf("%d latest rows, want %d", n, devices)
	}
	newest := base.Add((batch*batches/devices - 1) * time.Minute)
	if n := countRows(t, fx.st, "SELECT count(*) FROM devices WHERE last_seen_at = ?", micros(newest)); n != devices {
		t.Fatalf("%d devices last seen at the newest sample, want %d", n, devices)
	}
	// Prune crosses a chunk boundary and counts every row.
	n, err := fx.st.Telemetry().Prune(ctx, newest)
	must(t, err)
	if want := int64(batch*batches - devices); n != want {
		t.Fatalf("Prune = %d, want %d", n, want)
	}
}

func TestTelemetryQueryBuckets(t *testing.T) {
	fx := newAgentFixture(t, 1)
	ctx := context.Background()
	id := fx.devices[0].ID
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf []domain.MetricSample
	for i := range 10 { // one sample a minute, cpu 0..90
		buf = append(buf, sample(id, from.Add(time.Duration(i)*time.Minute), float64(i*10)))
	}
	must(t, fx.st.Telemetry().Write(ctx, buf, time.Time{}))
	pts, err := fx.st.Telemetry().Query(ctx, domain.GlobalScope(), id, from, from.Add(9*time.Minute), 5*time.Minute)
	must(t, err)
	if len(pts) != 2 || !pts[0].At.Equal(from) || pts[0].Samples != 5 || pts[0].CPUAvg != 20 || pts[0].CPUMax != 40 ||
		!pts[1].At.Equal(from.Add(5*time.Minute)) || pts[1].Samples != 4 || pts[1].CPUAvg != 65 || pts[1].CPUMax != 80 {
		t.Fatalf("points = %+v", pts)
	}
	for _, c := range []struct {
		from, to time.Time
		step     time.Duration
	}{
		{from, from.Add(time.Hour), time.Millisecond},
		{from, from, time.Minute},
		{from.Add(time.Hour), from, time.Minute},
		{from, from.Add(10001 * time.Second), time.Second},
	} {
		if _, err := fx.st.Telemetry().Query(ctx, domain.GlobalScope(), id, c.from, c.to, c.step); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Query(%v, %v, %v) = %v, want ErrInvalid", c.from, c.to, c.step, err)
		}
	}
	if _, err := fx.st.Telemetry().Query(ctx, domain.Scope{SiteIDs: []string{domain.NewID()}}, id, from, from.Add(time.Hour), time.Minute); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("foreign Query = %v, want ErrNotFound", err)
	}
}

func TestPresenceMarkAndStale(t *testing.T) {
	fx := newAgentFixture(t, 4)
	ctx := context.Background()
	a, b, c, never := fx.devices[0], fx.devices[1], fx.devices[2], fx.devices[3] // all created online, never seen
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	must(t, fx.st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: a.ID, Status: domain.DeviceOnline, LastSeenAt: t0.Add(-time.Hour)},
		{DeviceID: b.ID, Status: domain.DeviceOnline, LastSeenAt: t0.Add(-2 * time.Hour)},
		{DeviceID: c.ID, Status: domain.DeviceDecommissioned, LastSeenAt: t0},
		{DeviceID: domain.NewID(), Status: domain.DeviceOnline, LastSeenAt: t0},
	}))
	stale, err := fx.st.Presence().StaleOnline(ctx, t0.Add(-30*time.Minute), 10)
	must(t, err)
	if len(stale) != 3 || stale[0] != never.ID || stale[1] != b.ID || stale[2] != a.ID {
		t.Fatalf("stale = %v, want [%s %s %s]", stale, never.ID, b.ID, a.ID)
	}
	if stale, err := fx.st.Presence().StaleOnline(ctx, t0.Add(-30*time.Minute), 2); err != nil || len(stale) != 2 || stale[1] != b.ID {
		t.Fatalf("stale with limit 2 = %v, %v", stale, err)
	}
	// The sweeper marks offline only devices still online; the older time
	// does not lower last_seen_at.
	must(t, fx.st.Presence().Mark(ctx, []domain.PresenceUpdate{
		{DeviceID: a.ID, Status: domain.DeviceOffline, LastSeenAt: t0.Add(-3 * time.Hour), IfStatus: []domain.DeviceStatus{domain.DeviceOnline}},
		{DeviceID: c.ID, Status: domain.DeviceOffline, IfStatus: []domain.DeviceStatus{domain.DeviceOnline}},
	}))
	ga, err := fx.st.Devices().Get(ctx, domain.GlobalScope(), a.ID)
	must(t, err)
	gc, err := fx.st.Devices().Get(ctx, domain.GlobalScope(), c.ID)
	must(t, err)
	if ga.Status != domain.DeviceOffline || !ga.LastSeenAt.Equal(t0.Add(-time.Hour)) || ga.Version != a.Version {
		t.Fatalf("a = %+v", ga)
	}
	if gc.Status != domain.DeviceDecommissioned || !gc.LastSeenAt.Equal(t0) {
		t.Fatalf("c = %+v", gc)
	}
	if err := fx.st.Presence().Mark(ctx, []domain.PresenceUpdate{{DeviceID: a.ID, Status: "gone"}}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Mark with a bad status = %v, want ErrInvalid", err)
	}
}

// Deleting a device removes its token, samples, latest sample and inventory.
func TestDeviceDeleteCascadesAgentRows(t *testing.T) {
	fx := newAgentFixture(t, 1)
	ctx := context.Background()
	id := fx.devices[0].ID
	must(t, fx.st.AgentTokens().Set(ctx, id, "tok", time.Now()))
	must(t, fx.st.Telemetry().Write(ctx, []domain.MetricSample{sample(id, time.Now(), 1)}, time.Time{}))
	must(t, fx.st.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: id, Document: `{"full":true}`}))
	if got, err := fx.st.AgentTokens().Lookup(ctx, "tok"); err != nil || got != id {
		t.Fatalf("Lookup = %q, %v", got, err)
	}
	if err := fx.st.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: domain.NewID(), Document: `{}`}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Put for an unknown device = %v, want ErrNotFound", err)
	}
	must(t, fx.st.Devices().Delete(ctx, domain.GlobalScope(), id))
	for _, tbl := range []string{"agent_tokens", "device_metrics", "device_latest", "device_inventory"} {
		if n := countRows(t, fx.st, "SELECT count(*) FROM "+tbl); n != 0 {
			t.Errorf("%s keeps %d rows after the device was deleted", tbl, n)
		}
	}
}

// BenchmarkTelemetryWrite is heartbeat ingest: batches of 500 samples over
// 1000 devices, one transaction each.
func BenchmarkTelemetryWrite(b *testing.B) {
	const devices, batch = 1000, 500
	fx := newAgentFixture(b, devices)
	ctx := context.Background()
	base := time.Now().UTC().Add(-24 * time.Hour)
	bufs := make([][]domain.MetricSample, b.N)
	for n := range bufs {
		bufs[n] = make([]domain.MetricSample, batch)
		for i := range batch {
			k := n*batch + i
			bufs[n][i] = sample(fx.devices[k%devices].ID, base.Add(time.Duration(k/devices)*time.Minute), float64(k%100))
		}
	}
	b.ResetTimer()
	for n := range b.N {
		if err := fx.st.Telemetry().Write(ctx, bufs[n], time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
}
