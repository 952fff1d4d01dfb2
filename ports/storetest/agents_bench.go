package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// agentBenchDevices is the fleet the agent-link benchmarks write for.
const agentBenchDevices = 1000

// agentFleet is one seeded store: agentBenchDevices devices in one site,
// and one more device holding a day of one-minute samples for Query.
type agentFleet struct {
	st      ports.Store
	scope   domain.Scope
	devices []string
	// queried holds 24h of 60s samples starting at queryFrom.
	queried   string
	queryFrom time.Time
	// tick makes every written sample time unique across benchmark runs, so
	// no run measures the cheap path of ignored duplicates.
	tick int64
}

func seedAgentFleet(ctx context.Context, st ports.Store) (*agentFleet, error) {
	p := &domain.Partner{Name: uniq("agent-bench")}
	if err := st.Partners().Create(ctx, global, p); err != nil {
		return nil, err
	}
	o := &domain.Organization{PartnerID: p.ID, Name: uniq("agent-bench-org")}
	if err := st.Orgs().Create(ctx, global, o); err != nil {
		return nil, err
	}
	s := &domain.Site{OrgID: o.ID, Name: uniq("agent-bench-site")}
	if err := st.Sites().Create(ctx, global, s); err != nil {
		return nil, err
	}
	f := &agentFleet{st: st, scope: domain.Scope{PartnerIDs: []string{p.ID}}}
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		for i := range agentBenchDevices + 1 {
			d := deviceIn(s.ID, "")
			d.Hostname = fmt.Sprintf("bench-%05d", i)
			if err := tx.Devices().Create(ctx, global, d); err != nil {
				return fmt.Errorf("device %d: %w", i, err)
			}
			f.devices = append(f.devices, d.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.queried, f.devices = f.devices[agentBenchDevices], f.devices[:agentBenchDevices]
	f.queryFrom = time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)
	day := make([]domain.MetricSample, 0, 24*60)
	for i := range 24 * 60 {
		day = append(day, cpuSample(f.queried, f.queryFrom.Add(time.Duration(i)*time.Minute), float64(i%100)))
	}
	if err := st.Telemetry().Write(ctx, day, time.Time{}); err != nil {
		return nil, fmt.Errorf("write the queried day: %w", err)
	}
	return f, nil
}

// RunAgentBenchmarks measures heartbeat ingest (Telemetry().Write in batches
// over agentBenchDevices devices, without and with presence; docs/architecture.md §7 wants >= 25 000 rows/s on
// PostgreSQL and >= 10 000 on SQLite), a day's chart query and bulk
// presence updates. The fleet is seeded once, on first use, outside the
// timer.
func RunAgentBenchmarks(b *testing.B, f AgentFactory) {
	st := f(b)
	var mu sync.Mutex
	var fleet *agentFleet
	var seedErr error
	get := func(b *testing.B) *agentFleet {
		b.Helper()
		mu.Lock()
		defer mu.Unlock()
		if fleet == nil && seedErr == nil {
			start := time.Now()
			fleet, seedErr = seedAgentFleet(context.Background(), st)
			if seedErr == nil {
				b.Logf("seeded %d devices and a day of samples in %s", agentBenchDevices+1, time.Since(start).Round(time.Millisecond))
			}
		}
		if seedErr != nil {
			b.Fatalf("seed the agent fleet: %v", seedErr)
		}
		return fleet
	}

	b.Run("TelemetryWrite", func(b *testing.B) {
		for _, size := range []int{500, 1000} {
			b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchTelemetryWrite(b, get(b), size) })
		}
	})
	b.Run("HeartbeatIngest", func(b *testing.B) {
		b.Run("batch=500", func(b *testing.B) { benchHeartbeatIngest(b, get(b), 500) })
	})
	b.Run("TelemetryQuery", func(b *testing.B) { benchTelemetryQuery(b, get(b)) })
	b.Run("PresenceMark", func(b *testing.B) {
		b.Run(fmt.Sprintf("batch=%d", agentBenchDevices), func(b *testing.B) { benchPresenceMark(b, get(b)) })
	})
}

// benchTelemetryWrite writes batches of size samples, walking the fleet so
// consecutive batches touch different devices, each sample one second newer
// than the device's last (so the latest row changes every time).
func benchTelemetryWrite(b *testing.B, f *agentFleet, size int) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	batch := make([]domain.MetricSample, size)
	for j := range batch {
		batch[j] = cpuSample("", base, 0)
	}
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.tick++
		at := base.Add(time.Duration(f.tick) * time.Second)
		for j := range batch {
			s := &batch[j]
			s.DeviceID, s.At = f.devices[next], at
			s.CPUPercent = float64((j + i) % 100)
			s.MemoryUsed = uint64(1<<30 + j*4096)
			next = (next + 1) % len(f.devices)
		}
		if err := f.st.Telemetry().Write(ctx, batch, time.Time{}); err != nil {
			b.Fatalf("Write: %v", err)
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*size)/s, "rows/s")
	}
}

// benchHeartbeatIngest is the batch writer's path: batches of size
// samples over the fleet, written with their receive time, so each batch
// also marks its devices online and seen (one statement per device row).
func benchHeartbeatIngest(b *testing.B, f *agentFleet, size int) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	batch := make([]domain.MetricSample, size)
	for j := range batch {
		batch[j] = cpuSample("", base, 0)
	}
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.tick++
		at := base.Add(time.Duration(f.tick) * time.Second)
		for j := range batch {
			s := &batch[j]
			s.DeviceID, s.At = f.devices[next], at
			s.CPUPercent = float64((j + i) % 100)
			next = (next + 1) % len(f.devices)
		}
		if err := f.st.Telemetry().Write(ctx, batch, time.Now()); err != nil {
			b.Fatalf("Write: %v", err)
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*size)/s, "rows/s")
	}
}

// benchTelemetryQuery reads a day of one-minute samples as 288 five-minute
// points, the device page's default chart.
func benchTelemetryQuery(b *testing.B, f *agentFleet) {
	ctx := context.Background()
	from, to, step := f.queryFrom, f.queryFrom.Add(24*time.Hour), 5*time.Minute
	pts, err := f.st.Telemetry().Query(ctx, f.scope, f.queried, from, to, step)
	if err != nil {
		b.Fatalf("Query: %v", err)
	}
	if len(pts) != 288 || pts[0].Samples != 5 {
		b.Fatalf("Query = %d points (first of %d samples), want 288 of 5", len(pts), pts[0].Samples)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.st.Telemetry().Query(ctx, f.scope, f.queried, from, to, step); err != nil {
			b.Fatalf("Query: %v", err)
		}
	}
	b.StopTimer()
	b.ReportMetric(288, "points/op")
}

// benchPresenceMark marks the whole fleet online in one call, a newer time
// each op, as the link's presence flush does.
func benchPresenceMark(b *testing.B, f *agentFleet) {
	ctx := context.Background()
	updates := make([]domain.PresenceUpdate, len(f.devices))
	only := []domain.DeviceStatus{domain.DeviceOnline, domain.DeviceOffline, domain.DevicePending}
	base := time.Now().UTC()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := base.Add(time.Duration(i) * time.Millisecond)
		for j, id := range f.devices {
			updates[j] = domain.PresenceUpdate{DeviceID: id, Status: domain.DeviceOnline, LastSeenAt: at, IfStatus: only}
		}
		if err := f.st.Presence().Mark(ctx, updates); err != nil {
			b.Fatalf("Mark: %v", err)
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*len(updates))/s, "rows/s")
	}
}
