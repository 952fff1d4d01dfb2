package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// sampleDetail is a Detail document in the agent's shape.
const sampleDetail = `{"disks":[{"mount":"/","fs":"ext4","used":123456789,"total":987654321}],"network":[{"name":"eth0","rxBps":1.5,"txBps":0.25}]}`

// metric is the part of a sample the Query tests vary.
type metric struct {
	cpu                        float64
	mem, memTotal, disk, diskT uint64
	rx, tx, load               float64
}

// sampleAt returns a full sample of deviceID at at with m's values.
func sampleAt(deviceID string, at time.Time, m metric) domain.MetricSample {
	return domain.MetricSample{
		DeviceID:     deviceID,
		At:           at,
		CPUPercent:   m.cpu,
		MemoryUsed:   m.mem,
		MemoryTotal:  m.memTotal,
		DiskUsed:     m.disk,
		DiskTotal:    m.diskT,
		NetRxBps:     m.rx,
		NetTxBps:     m.tx,
		Load1:        m.load,
		Uptime:       86400 + uint64(at.Unix()%1000),
		ProcessCount: 100 + int(at.Unix()%50),
		Detail:       sampleDetail,
	}
}

// cpuSample is a sample whose CPU tells it apart.
func cpuSample(deviceID string, at time.Time, cpu float64) domain.MetricSample {
	return sampleAt(deviceID, at, metric{cpu: cpu, mem: 1 << 30, memTotal: 8 << 30, disk: 50 << 30, diskT: 100 << 30, rx: 1000, tx: 500, load: 0.5})
}

func writeSamples(t testing.TB, st ports.Store, what string, samples ...domain.MetricSample) {
	t.Helper()
	must(t, what, st.Telemetry().Write(t.Context(), samples, time.Time{}))
}

func eqSample(t testing.TB, what string, got *domain.MetricSample, want domain.MetricSample) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: sample is nil", what)
		return
	}
	eqFields(t, what,
		field{"DeviceID", got.DeviceID, want.DeviceID},
		field{"At", got.At, want.At},
		field{"CPUPercent", got.CPUPercent, want.CPUPercent},
		field{"MemoryUsed", got.MemoryUsed, want.MemoryUsed},
		field{"MemoryTotal", got.MemoryTotal, want.MemoryTotal},
		field{"DiskUsed", got.DiskUsed, want.DiskUsed},
		field{"DiskTotal", got.DiskTotal, want.DiskTotal},
		field{"NetRxBps", got.NetRxBps, want.NetRxBps},
		field{"NetTxBps", got.NetTxBps, want.NetTxBps},
		field{"Load1", got.Load1, want.Load1},
		field{"Uptime", got.Uptime, want.Uptime},
		field{"ProcessCount", got.ProcessCount, want.ProcessCount},
	)
	checkUTC(t, what+" At", got.At)
	wantJSON(t, what+": Detail", got.Detail, want.Detail)
}

func latest(t testing.TB, st ports.Store, deviceID string) *domain.MetricSample {
	t.Helper()
	s, err := st.Telemetry().Latest(t.Context(), global, deviceID)
	must(t, "Latest", err)
	return s
}

// point is an expected bucket: offset from the query's from, the number of
// samples and the aggregates.
type point struct {
	off     time.Duration
	n       int
	cpuAvg  float64
	cpuMax  float64
	mem     float64
	memT    float64
	disk    float64
	diskT   float64
	rx, tx  float64
	load1   float64
	comment string
}

func wantPoints(t testing.TB, what string, got []domain.MetricPoint, from time.Time, want []point) {
	t.Helper()
	if len(got) != len(want) {
		var ats []string
		for _, p := range got {
			ats = append(ats, fmt.Sprintf("%s×%d", p.At.Sub(from), p.Samples))
		}
		t.Errorf("%s: %d points at %v, want %d", what, len(got), ats, len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		label := fmt.Sprintf("%s: point %d (%s)", what, i, w.comment)
		eqFields(t, label, field{"At", g.At, from.Add(w.off)}, field{"Samples", g.Samples, w.n})
		checkUTC(t, label+" At", g.At)
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"CPUAvg", g.CPUAvg, w.cpuAvg}, {"CPUMax", g.CPUMax, w.cpuMax},
			{"MemoryUsed", g.MemoryUsed, w.mem}, {"MemoryTotal", g.MemoryTotal, w.memT},
			{"DiskUsed", g.DiskUsed, w.disk}, {"DiskTotal", g.DiskTotal, w.diskT},
			{"NetRxBps", g.NetRxBps, w.rx}, {"NetTxBps", g.NetTxBps, w.tx}, {"Load1", g.Load1, w.load1},
		} {
			if !closeTo(c.got, c.want) {
				t.Errorf("%s: %s = %v, want %v", label, c.name, c.got, c.want)
			}
		}
	}
}

// sampleCount sums the samples of a device's points over a wide range.
func sampleCount(t testing.TB, st ports.Store, deviceID string, from, to time.Time) int {
	t.Helper()
	pts, err := st.Telemetry().Query(t.Context(), global, deviceID, from, to, to.Sub(from))
	must(t, "Query", err)
	n := 0
	for _, p := range pts {
		n += p.Samples
	}
	return n
}

func testAgentTelemetry(t *testing.T, f AgentFactory, st ports.Store) {
	t.Run("WriteStoresAndLatestReadsBack", func(t *testing.T) { telWrite(t, st) })
	t.Run("LatestKeepsTheNewestSample", func(t *testing.T) { telLatestNewest(t, st) })
	t.Run("WriteRaisesLastSeenOnly", func(t *testing.T) { telLastSeen(t, st) })
	t.Run("WriteSeenMarksPresence", func(t *testing.T) { telSeen(t, st) })
	t.Run("DuplicateSamplesAreIgnored", func(t *testing.T) { telDuplicates(t, st) })
	t.Run("UnknownDevicesAreDropped", func(t *testing.T) { telUnknown(t, st) })
	t.Run("LatestScope", func(t *testing.T) { telLatestScope(t, st) })
	t.Run("QueryBuckets", func(t *testing.T) { telQuery(t, st) })
	t.Run("QueryScope", func(t *testing.T) { telQueryScope(t, st) })
	t.Run("QueryRejectsBadRanges", func(t *testing.T) { telQueryInvalid(t, st) })
	t.Run("QuerySeries", func(t *testing.T) { telQuerySeries(t, st) })
	// Prune deletes across every device: it gets its own store to count.
	t.Run("Prune", func(t *testing.T) { telPrune(t, f(t)) })
}

func telWrite(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	at := identNow().Add(-time.Minute)
	s := sampleAt(d.ID, at, metric{cpu: 37.25, mem: 3 << 30, memTotal: 16 << 30, disk: 200 << 30, diskT: 512 << 30, rx: 12345.5, tx: 678.25, load: 1.75})
	s.Uptime, s.ProcessCount = 1<<40, 4321
	writeSamples(t, st, "Write", s)
	eqSample(t, "Latest", latest(t, st, d.ID), s)
	if n := sampleCount(t, st, d.ID, at.Add(-time.Hour), at.Add(time.Hour)); n != 1 {
		t.Errorf("Query counts %d samples, want 1", n)
	}

	t.Run("EmptyDetail", func(t *testing.T) {
		d := newDevice(t, st, c.site.ID, "")
		s := cpuSample(d.ID, identNow(), 1)
		s.Detail = ""
		writeSamples(t, st, "Write without detail", s)
		got := latest(t, st, d.ID)
		eqFields(t, "Latest", field{"At", got.At, s.At}, field{"CPUPercent", got.CPUPercent, 1.0})
	})
	t.Run("EmptyBatch", func(t *testing.T) {
		must(t, "Write nil", st.Telemetry().Write(t.Context(), nil, time.Time{}))
		must(t, "Write empty", st.Telemetry().Write(t.Context(), []domain.MetricSample{}, time.Time{}))
	})
	t.Run("ManyDevicesOneBatch", func(t *testing.T) {
		at := identNow()
		var batch []domain.MetricSample
		var devices []*domain.Device
		for i := range 20 {
			d := newDevice(t, st, c.site.ID, "")
			devices = append(devices, d)
			for j := range 3 {
				batch = append(batch, cpuSample(d.ID, at.Add(time.Duration(j-3)*time.Minute), float64(i*10+j)))
			}
		}
		writeSamples(t, st, "Write", batch...)
		for i, d := range devices {
			eqSample(t, fmt.Sprintf("Latest of device %d", i), latest(t, st, d.ID), batch[i*3+2])
			if n := sampleCount(t, st, d.ID, at.Add(-time.Hour), at); n != 3 {
				t.Errorf("device %d: Query counts %d samples, want 3", i, n)
			}
		}
	})
}

func telLatestNewest(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	base := identNow().Add(-time.Hour)
	s1, s2, s3 := cpuSample(d.ID, base.Add(time.Minute), 1), cpuSample(d.ID, base.Add(2*time.Minute), 2), cpuSample(d.ID, base.Add(3*time.Minute), 3)
	writeSamples(t, st, "Write out of order", s1, s3, s2)
	eqSample(t, "Latest after an out-of-order batch", latest(t, st, d.ID), s3)
	// A late buffered heartbeat arrives after fresher ones.
	late := cpuSample(d.ID, base, 99)
	writeSamples(t, st, "Write a late sample", late)
	eqSample(t, "Latest after a late sample", latest(t, st, d.ID), s3)
	s4 := cpuSample(d.ID, base.Add(4*time.Minute), 4)
	writeSamples(t, st, "Write a newer sample", s4)
	eqSample(t, "Latest after a newer sample", latest(t, st, d.ID), s4)
	// The late sample is kept in the history all the same.
	if n := sampleCount(t, st, d.ID, base.Add(-time.Hour), base.Add(time.Hour)); n != 5 {
		t.Errorf("Query counts %d samples, want 5", n)
	}
}

func telLastSeen(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	base := identNow().Add(-time.Hour)
	d := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, base)
	never := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, time.Time{})
	before, beforeNever := globalDevice(t, st, d.ID), globalDevice(t, st, never.ID)
	writeSamples(t, st, "Write",
		cpuSample(d.ID, base.Add(5*time.Minute), 1), cpuSample(d.ID, base.Add(7*time.Minute), 2),
		cpuSample(d.ID, base.Add(6*time.Minute), 3), cpuSample(never.ID, base.Add(-time.Minute), 4))
	got := globalDevice(t, st, d.ID)
	eqFields(t, "device after Write", field{"LastSeenAt", got.LastSeenAt, base.Add(7 * time.Minute)}, field{"Status", got.Status, d.Status})
	checkUTC(t, "LastSeenAt", got.LastSeenAt)
	wantUntouched(t, "device after Write", got, before)
	gotNever := globalDevice(t, st, never.ID)
	eqFields(t, "never-seen device after Write", field{"LastSeenAt", gotNever.LastSeenAt, base.Add(-time.Minute)})
	wantUntouched(t, "never-seen device after Write", gotNever, beforeNever)

	writeSamples(t, st, "Write a late sample", cpuSample(d.ID, base.Add(time.Minute), 5))
	eqFields(t, "device after a late sample", field{"LastSeenAt", globalDevice(t, st, d.ID).LastSeenAt, base.Add(7 * time.Minute)})
}

// telSeen: a Write with a seen time does what the batch writer's
// Presence().Mark did, in the same statement: pending, offline and online
// devices become online, seen at the later of seen and their newest
// sample; a decommissioned one keeps its status and is seen at its sample
// only; last_seen_at never goes back; nothing else of the device changes.
func telSeen(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	base := identNow().Add(-time.Hour)
	seen := base.Add(10 * time.Minute)
	pending := newDeviceSeen(t, st, c.site.ID, domain.DevicePending, time.Time{})
	offline := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, base)
	online := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, base)
	ahead := newDeviceSeen(t, st, c.site.ID, domain.DeviceOnline, base.Add(time.Hour)) // seen later than seen
	gone := newDeviceSeen(t, st, c.site.ID, domain.DeviceDecommissioned, base)
	future := newDeviceSeen(t, st, c.site.ID, domain.DeviceOffline, base) // a sample newer than seen
	befores := map[string]*domain.Device{}
	for _, d := range []*domain.Device{pending, offline, online, ahead, gone, future} {
		befores[d.ID] = globalDevice(t, st, d.ID)
	}
	must(t, "Write with seen", st.Telemetry().Write(t.Context(), []domain.MetricSample{
		cpuSample(pending.ID, base.Add(time.Minute), 1), cpuSample(offline.ID, base.Add(2*time.Minute), 2),
		cpuSample(online.ID, base.Add(3*time.Minute), 3), cpuSample(online.ID, base.Add(4*time.Minute), 4),
		cpuSample(ahead.ID, base.Add(5*time.Minute), 5), cpuSample(gone.ID, base.Add(6*time.Minute), 6),
		cpuSample(future.ID, seen.Add(time.Minute), 7),
	}, seen))
	for _, w := range []struct {
		d      *domain.Device
		status domain.DeviceStatus
		seen   time.Time
	}{
		{pending, domain.DeviceOnline, seen},
		{offline, domain.DeviceOnline, seen},
		{online, domain.DeviceOnline, seen},
		{ahead, domain.DeviceOnline, base.Add(time.Hour)},
		{gone, domain.DeviceDecommissioned, base.Add(6 * time.Minute)},
		{future, domain.DeviceOnline, seen.Add(time.Minute)},
	} {
		got := globalDevice(t, st, w.d.ID)
		what := fmt.Sprintf("%s device after Write with seen", w.d.Status)
		eqFields(t, what, field{"Status", got.Status, w.status}, field{"LastSeenAt", got.LastSeenAt, w.seen})
		checkUTC(t, "LastSeenAt", got.LastSeenAt)
		wantUntouched(t, what, got, befores[w.d.ID])
	}
	eqSample(t, "Latest after Write with seen", latest(t, st, online.ID), cpuSample(online.ID, base.Add(4*time.Minute), 4))

	// A later batch seen earlier (a clock step back) moves nothing back.
	must(t, "Write seen earlier", st.Telemetry().Write(t.Context(),
		[]domain.MetricSample{cpuSample(online.ID, base.Add(8*time.Minute), 8)}, base.Add(9*time.Minute)))
	eqFields(t, "device after a Write seen earlier", field{"LastSeenAt", globalDevice(t, st, online.ID).LastSeenAt, seen})
}

func telDuplicates(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	base := identNow().Add(-time.Hour)
	t1, t2, t3 := base.Add(time.Minute), base.Add(2*time.Minute), base.Add(3*time.Minute)
	first := cpuSample(d.ID, t1, 10)
	writeSamples(t, st, "Write", first)
	// A redelivered buffer: the sample at t1 again (with other values), and a new one.
	writeSamples(t, st, "Write a redelivered sample", cpuSample(d.ID, t1, 90), cpuSample(d.ID, t2, 20))
	pts, err := st.Telemetry().Query(t.Context(), global, d.ID, base, base.Add(time.Hour), time.Hour)
	must(t, "Query", err)
	if len(pts) != 1 {
		t.Fatalf("Query = %d points, want 1", len(pts))
	}
	eqFields(t, "bucket after a redelivered sample",
		field{"Samples", pts[0].Samples, 2}, field{"CPUMax", pts[0].CPUMax, 20.0}, field{"CPUAvg", pts[0].CPUAvg, 15.0})

	// A buffer redelivered twice inside one batch, beside a sample stored
	// by an earlier batch (t2, with other values).
	writeSamples(t, st, "Write a batch with duplicates",
		cpuSample(d.ID, t3, 30), cpuSample(d.ID, t3, 30), cpuSample(d.ID, t2, 60), cpuSample(d.ID, t3, 30))
	pts, err = st.Telemetry().Query(t.Context(), global, d.ID, base, base.Add(time.Hour), time.Hour)
	must(t, "Query", err)
	if len(pts) != 1 {
		t.Fatalf("Query = %d points, want 1", len(pts))
	}
	eqFields(t, "bucket after duplicates",
		field{"Samples", pts[0].Samples, 3}, field{"CPUMax", pts[0].CPUMax, 30.0}, field{"CPUAvg", pts[0].CPUAvg, 20.0})
	eqFields(t, "Latest after duplicates", field{"At", latest(t, st, d.ID).At, t3}, field{"CPUPercent", latest(t, st, d.ID).CPUPercent, 30.0})
	// The latest sample redelivered with other values does not replace it.
	writeSamples(t, st, "Write the latest sample again", cpuSample(d.ID, t3, 77))
	eqFields(t, "Latest after its redelivery", field{"CPUPercent", latest(t, st, d.ID).CPUPercent, 30.0})
}

func telUnknown(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	gone := newDevice(t, st, c.site.ID, "")
	must(t, "Delete device", st.Devices().Delete(ctx, global, gone.ID))
	base := identNow().Add(-time.Hour)
	s1, s2 := cpuSample(d.ID, base.Add(time.Minute), 1), cpuSample(d.ID, base.Add(2*time.Minute), 2)
	writeSamples(t, st, "Write with unknown devices",
		cpuSample(domain.NewID(), base, 50), s1, cpuSample(gone.ID, base.Add(3*time.Minute), 60), s2,
		cpuSample(domain.NewID(), base.Add(4*time.Minute), 70))
	eqSample(t, "Latest of the known device", latest(t, st, d.ID), s2)
	if n := sampleCount(t, st, d.ID, base.Add(-time.Hour), base.Add(time.Hour)); n != 2 {
		t.Errorf("Query counts %d samples, want 2", n)
	}
	_, err := st.Telemetry().Latest(ctx, global, gone.ID)
	wantIs(t, "Latest of the deleted device", err, domain.ErrNotFound)
	writeSamples(t, st, "Write with unknown devices only", cpuSample(domain.NewID(), base, 1), cpuSample(gone.ID, base, 2))
	_, err = st.Devices().Get(ctx, global, gone.ID)
	wantIs(t, "Get of the deleted device after Write", err, domain.ErrNotFound)
}

func telLatestScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	d := newDevice(t, st, tr.S1.ID, "")
	s := cpuSample(d.ID, identNow(), 12)
	writeSamples(t, st, "Write", s)
	for _, sc := range []domain.Scope{global, partnerScopeOf(tr.P1.ID), orgScopeOf(tr.A.ID), siteScopeOf(tr.S1.ID)} {
		got, err := st.Telemetry().Latest(ctx, sc, d.ID)
		must(t, fmt.Sprintf("Latest by %+v", sc), err)
		eqSample(t, fmt.Sprintf("Latest by %+v", sc), got, s)
	}
	for _, sc := range []domain.Scope{partnerScopeOf(tr.P2.ID), orgScopeOf(tr.B.ID), siteScopeOf(tr.S2.ID), {}, wrongLevelScope(tr), emptyIDsScope} {
		_, err := st.Telemetry().Latest(ctx, sc, d.ID)
		wantIs(t, fmt.Sprintf("Latest by %+v", sc), err, domain.ErrNotFound)
	}
	silent := newDevice(t, st, tr.S1.ID, "")
	_, err := st.Telemetry().Latest(ctx, global, silent.ID)
	wantIs(t, "Latest of a device without samples", err, domain.ErrNotFound)
	for _, id := range malformedIDs(d.ID) {
		_, err := st.Telemetry().Latest(ctx, global, id)
		wantIs(t, fmt.Sprintf("Latest(%q)", id), err, domain.ErrNotFound)
	}
	_, err = st.Telemetry().Latest(ctx, global, domain.NewID())
	wantIs(t, "Latest of an unknown device", err, domain.ErrNotFound)
}

// querySeries writes the hand-computed series of the Query tests for d
// around from (not aligned to the step, so buckets start at from, not at
// round times) and returns it.
func querySeries(t testing.TB, st ports.Store, deviceID string, from time.Time) {
	t.Helper()
	at := func(d time.Duration) time.Time { return from.Add(d) }
	writeSamples(t, st, "Write the series",
		sampleAt(deviceID, at(-time.Second), metric{99, 9, 9, 9, 9, 9, 9, 9}), // before from
		sampleAt(deviceID, at(0), metric{10, 1000, 8000, 500, 1000, 100, 10, 0.5}),
		sampleAt(deviceID, at(time.Minute), metric{20, 2000, 8000, 600, 1000, 200, 20, 1.5}),
		sampleAt(deviceID, at(4*time.Minute+59*time.Second+500*time.Millisecond), metric{60, 3000, 8000, 700, 1000, 600, 60, 1}),
		sampleAt(deviceID, at(10*time.Minute), metric{5, 4000, 16000, 100, 2000, 0, 0, 0.25}),
		sampleAt(deviceID, at(15*time.Minute-time.Millisecond), metric{7.5, 6000, 16000, 300, 2000, 50, 5, 0.75}),
		sampleAt(deviceID, at(25*time.Minute), metric{100, 7000, 8000, 900, 1000, 1e6, 5e5, 4}),
		sampleAt(deviceID, at(30*time.Minute), metric{99, 9, 9, 9, 9, 9, 9, 9}), // at to: outside
		sampleAt(deviceID, at(31*time.Minute), metric{99, 9, 9, 9, 9, 9, 9, 9}),
	)
}

func telQuery(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	noise := newDevice(t, st, c.site.ID, "")
	from := identNow().Truncate(time.Hour).Add(-5*time.Hour + 2*time.Minute + 30*time.Second)
	to := from.Add(30 * time.Minute)
	querySeries(t, st, d.ID, from)
	// Another device's samples in the same range must not count.
	writeSamples(t, st, "Write noise", cpuSample(noise.ID, from, 99), cpuSample(noise.ID, from.Add(10*time.Minute), 99),
		cpuSample(noise.ID, from.Add(20*time.Minute), 99))

	query := func(from, to time.Time, step time.Duration) []domain.MetricPoint {
		t.Helper()
		pts, err := st.Telemetry().Query(ctx, global, d.ID, from, to, step)
		must(t, fmt.Sprintf("Query(%s, step %s)", to.Sub(from), step), err)
		return pts
	}
	t.Run("FiveMinuteBuckets", func(t *testing.T) {
		wantPoints(t, "Query", query(from, to, 5*time.Minute), from, []point{
			{0, 3, 30, 60, 2000, 8000, 600, 1000, 300, 30, 1, "three samples"},
			{10 * time.Minute, 2, 6.25, 7.5, 5000, 16000, 200, 2000, 25, 2.5, 0.5, "two samples, empty bucket before"},
			{25 * time.Minute, 1, 100, 100, 7000, 8000, 900, 1000, 1e6, 5e5, 4, "one sample"},
		})
	})
	t.Run("OneBucket", func(t *testing.T) {
		wantPoints(t, "Query", query(from, to, 30*time.Minute), from, []point{
			{0, 6, 202.5 / 6, 100, 23000.0 / 6, 64000.0 / 6, 3100.0 / 6, 8000.0 / 6, 1000950.0 / 6, 500095.0 / 6, 8.0 / 6, "the whole range"},
		})
	})
	t.Run("StepLongerThanTheRange", func(t *testing.T) {
		wantPoints(t, "Query", query(from, from.Add(2*time.Minute), time.Hour), from, []point{
			{0, 2, 15, 20, 1500, 8000, 550, 1000, 150, 15, 1, "two samples"},
		})
	})
	t.Run("MinuteBuckets", func(t *testing.T) {
		wantPoints(t, "Query", query(from, from.Add(10*time.Minute), time.Minute), from, []point{
			{0, 1, 10, 10, 1000, 8000, 500, 1000, 100, 10, 0.5, "at from"},
			{time.Minute, 1, 20, 20, 2000, 8000, 600, 1000, 200, 20, 1.5, "at from+1m"},
			{4 * time.Minute, 1, 60, 60, 3000, 8000, 700, 1000, 600, 60, 1, "half a second before a boundary"},
		})
	})
	t.Run("ShiftedRange", func(t *testing.T) {
		f := from.Add(time.Minute)
		wantPoints(t, "Query", query(f, f.Add(10*time.Minute), 5*time.Minute), f, []point{
			{0, 2, 40, 60, 2500, 8000, 650, 1000, 400, 40, 1.25, "two samples"},
			{5 * time.Minute, 1, 5, 5, 4000, 16000, 100, 2000, 0, 0, 0.25, "one sample"},
		})
	})
	t.Run("EmptyRange", func(t *testing.T) {
		if pts := query(from.Add(-3*time.Hour), from.Add(-2*time.Hour), 5*time.Minute); len(pts) != 0 {
			t.Errorf("Query of a range without samples = %d points, want none", len(pts))
		}
		if pts := query(from.Add(15*time.Minute), from.Add(25*time.Minute), time.Minute); len(pts) != 0 {
			t.Errorf("Query of a gap = %d points, want none", len(pts))
		}
	})
	t.Run("DeviceWithoutSamples", func(t *testing.T) {
		silent := newDevice(t, st, c.site.ID, "")
		pts, err := st.Telemetry().Query(ctx, c.scope(), silent.ID, from, to, time.Minute)
		must(t, "Query", err)
		if len(pts) != 0 {
			t.Errorf("Query of a device without samples = %d points, want none", len(pts))
		}
	})
}

func telQueryScope(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	d := newDevice(t, st, tr.S3.ID, "")
	from := identNow().Truncate(time.Hour).Add(-3 * time.Hour)
	to := from.Add(30 * time.Minute)
	querySeries(t, st, d.ID, from)
	for _, sc := range []domain.Scope{partnerScopeOf(tr.P1.ID), orgScopeOf(tr.B.ID), siteScopeOf(tr.S3.ID), {OrgIDs: []string{tr.C.ID}, SiteIDs: []string{tr.S3.ID}}} {
		pts, err := st.Telemetry().Query(ctx, sc, d.ID, from, to, 30*time.Minute)
		must(t, fmt.Sprintf("Query by %+v", sc), err)
		if len(pts) != 1 || pts[0].Samples != 6 {
			t.Errorf("Query by %+v = %+v, want one bucket of 6 samples", sc, pts)
		}
	}
	for _, sc := range []domain.Scope{partnerScopeOf(tr.P2.ID), orgScopeOf(tr.A.ID), siteScopeOf(tr.S1.ID, tr.S4.ID), {}, wrongLevelScope(tr), emptyIDsScope} {
		pts, err := st.Telemetry().Query(ctx, sc, d.ID, from, to, 30*time.Minute)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Query by %+v = %d points, %v; want ErrNotFound", sc, len(pts), err)
		}
	}
	for _, id := range append(malformedIDs(d.ID), domain.NewID()) {
		_, err := st.Telemetry().Query(ctx, global, id, from, to, time.Minute)
		wantIs(t, fmt.Sprintf("Query(%q)", id), err, domain.ErrNotFound)
	}
}

func telQueryInvalid(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	from := identNow().Add(-24 * time.Hour)
	writeSamples(t, st, "Write", cpuSample(d.ID, from.Add(time.Second), 1))
	for _, tc := range []struct {
		name     string
		from, to time.Time
		step     time.Duration
	}{
		{"ZeroStep", from, from.Add(time.Hour), 0},
		{"NegativeStep", from, from.Add(time.Hour), -time.Minute},
		{"SubSecondStep", from, from.Add(time.Hour), 999 * time.Millisecond},
		{"EmptyRange", from, from, time.Minute},
		{"ReversedRange", from.Add(time.Hour), from, time.Minute},
		{"TooManyBuckets", from, from.Add(10001 * time.Second), time.Second},
		{"TooManyMinuteBuckets", from, from.Add(10001 * time.Minute), time.Minute},
		{"ZeroTimes", time.Time{}, time.Time{}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := st.Telemetry().Query(ctx, global, d.ID, tc.from, tc.to, tc.step)
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("Query(%v, %v, %v) = %d points, %v; want ErrInvalid", tc.from, tc.to, tc.step, len(pts), err)
			}
		})
	}
	t.Run("TenThousandBucketsFit", func(t *testing.T) {
		pts, err := st.Telemetry().Query(ctx, global, d.ID, from, from.Add(10000*time.Second), time.Second)
		must(t, "Query of 10000 one-second buckets", err)
		wantPoints(t, "Query", pts, from, []point{{time.Second, 1, 1, 1, 1 << 30, 8 << 30, 50 << 30, 100 << 30, 1000, 500, 0.5, "the sample"}})
	})
	t.Run("OneSecondStepFits", func(t *testing.T) {
		_, err := st.Telemetry().Query(ctx, global, d.ID, from, from.Add(time.Minute), time.Second)
		must(t, "Query with a one-second step", err)
	})
}

func telPrune(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, e := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	cutoff := identNow().Add(-24 * time.Hour)
	writeSamples(t, st, "Write",
		cpuSample(d.ID, cutoff.Add(-3*time.Hour), 1), cpuSample(d.ID, cutoff.Add(-time.Hour), 2),
		cpuSample(d.ID, cutoff.Add(-time.Millisecond), 3), cpuSample(d.ID, cutoff, 4), cpuSample(d.ID, cutoff.Add(time.Hour), 5),
		cpuSample(e.ID, cutoff.Add(-2*time.Hour), 6), cpuSample(e.ID, cutoff.Add(time.Minute), 7))
	n, err := st.Telemetry().Prune(ctx, cutoff.Add(-4*time.Hour))
	must(t, "Prune before every sample", err)
	eqFields(t, "Prune before every sample", field{"deleted", n, int64(0)})

	n, err = st.Telemetry().Prune(ctx, cutoff)
	must(t, "Prune", err)
	eqFields(t, "Prune", field{"deleted", n, int64(4)})
	lo, hi := cutoff.Add(-5*time.Hour), cutoff.Add(5*time.Hour)
	pts, err := st.Telemetry().Query(ctx, global, d.ID, lo, hi, time.Hour)
	must(t, "Query after Prune", err)
	var ats []string
	for _, p := range pts {
		ats = append(ats, p.At.Sub(cutoff).String())
	}
	if got, want := strings.Join(ats, ","), "0s,1h0m0s"; got != want {
		t.Errorf("samples of d left after Prune at %s from the cutoff, want %s", got, want)
	}
	if n := sampleCount(t, st, e.ID, lo, hi); n != 1 {
		t.Errorf("e keeps %d samples after Prune, want 1", n)
	}
	eqFields(t, "Latest after Prune", field{"At", latest(t, st, d.ID).At, cutoff.Add(time.Hour)})

	n, err = st.Telemetry().Prune(ctx, cutoff)
	must(t, "Prune again", err)
	eqFields(t, "Prune again", field{"deleted", n, int64(0)})
}

// telQuerySeries: one collector plugin metric is downsampled from the
// samples' detail, across its label sets, within scope; other plugins,
// names and devices, and samples without detail, do not count.
func telQuerySeries(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	other := newDevice(t, st, c.site.ID, "")
	from := identNow().Truncate(time.Hour).Add(-2 * time.Hour)
	withPlugins := func(id string, at time.Time, detail string) domain.MetricSample {
		s := cpuSample(id, at, 1)
		s.Detail = detail
		return s
	}
	series := domain.PluginSeries{Plugin: "acme.load", Name: "queue.depth"}
	writeSamples(t, st, "Write",
		withPlugins(d.ID, from, `{"plugins":[{"plugin":"acme.load","name":"queue.depth","value":4,"labels":{"q":"a"}},`+
			`{"plugin":"acme.load","name":"queue.depth","value":8,"labels":{"q":"b"}},{"plugin":"acme.load","name":"other","value":100}]}`),
		withPlugins(d.ID, from.Add(time.Minute), `{"plugins":[{"plugin":"acme.load","name":"queue.depth","value":6}]}`),
		cpuSample(d.ID, from.Add(2*time.Minute), 5), // no detail at all
		withPlugins(d.ID, from.Add(3*time.Minute), `{"disks":[{"mount":"/","used":1,"total":2}]}`),
		withPlugins(d.ID, from.Add(10*time.Minute), `{"plugins":[{"plugin":"other.plugin","name":"queue.depth","value":1000},`+
			`{"plugin":"acme.load","name":"queue.depth","value":-2}]}`),
		withPlugins(other.ID, from, `{"plugins":[{"plugin":"acme.load","name":"queue.depth","value":1000}]}`),
	)
	pts, err := st.Telemetry().QuerySeries(ctx, c.scope(), d.ID, series, from, from.Add(time.Hour), 5*time.Minute)
	must(t, "QuerySeries", err)
	if len(pts) != 2 {
		t.Fatalf("QuerySeries = %+v, want two buckets", pts)
	}
	if p := pts[0]; !p.At.Equal(from) || p.Samples != 3 || p.Avg != 6 || p.Min != 4 || p.Max != 8 {
		t.Errorf("first bucket %+v, want 3 values avg 6 min 4 max 8 at %s", p, from)
	}
	if p := pts[1]; !p.At.Equal(from.Add(10*time.Minute)) || p.Samples != 1 || p.Avg != -2 || p.Min != -2 || p.Max != -2 {
		t.Errorf("second bucket %+v, want one value -2", p)
	}
	none, err := st.Telemetry().QuerySeries(ctx, c.scope(), d.ID, domain.PluginSeries{Plugin: "acme.load", Name: "missing"}, from, from.Add(time.Hour), time.Minute)
	if err != nil || len(none) != 0 {
		t.Errorf("an unknown metric: %+v %v", none, err)
	}
	_, err = st.Telemetry().QuerySeries(ctx, orgScopeOf(domain.NewID()), d.ID, series, from, from.Add(time.Hour), time.Minute)
	wantIs(t, "QuerySeries out of scope", err, domain.ErrNotFound)
	_, err = st.Telemetry().QuerySeries(ctx, c.scope(), d.ID, series, from, from, time.Minute)
	wantIs(t, "QuerySeries of an empty range", err, domain.ErrInvalid)
}
