package agents

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// fakeStore serves the batch writer: telemetry and presence only (any
// other method panics on the nil embedded interface).
type fakeStore struct {
	ports.Store
	tel  *fakeTelemetry
	pres *fakePresence
}

func (f fakeStore) Telemetry() ports.TelemetryStore { return f.tel }
func (f fakeStore) Presence() ports.PresenceStore   { return f.pres }

type fakeTelemetry struct {
	ports.TelemetryStore
	mu      sync.Mutex
	batches [][]domain.MetricSample
	seen    []time.Time // each written batch's seen
	fail    bool
}

func (f *fakeTelemetry) Write(_ context.Context, s []domain.MetricSample, seen time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("database away")
	}
	f.batches = append(f.batches, append([]domain.MetricSample(nil), s...))
	f.seen = append(f.seen, seen)
	return nil
}

func (f *fakeTelemetry) setFail(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

func (f *fakeTelemetry) count() (batches, samples int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		samples += len(b)
	}
	return len(f.batches), samples
}

type fakePresence struct {
	ports.PresenceStore
	mu      sync.Mutex
	updates []domain.PresenceUpdate
}

func (f *fakePresence) Mark(_ context.Context, u []domain.PresenceUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, u...)
	return nil
}

func newFake() fakeStore { return fakeStore{tel: &fakeTelemetry{}, pres: &fakePresence{}} }

func sample(dev string, i int) domain.MetricSample {
	return domain.MetricSample{DeviceID: dev, At: time.Unix(int64(i), 0)}
}

func TestBatchWriterDropsWhenFullAndWritesInBatches(t *testing.T) {
	st := newFake()
	w, err := NewBatchWriter(BatchDeps{Store: st, BatchSize: 4, QueueSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 15; i++ {
		if ok := w.Add(sample("d1", i)); ok != (i < 10) {
			t.Fatalf("Add %d: %v", i, ok)
		}
	}
	if w.Dropped() != 5 {
		t.Fatalf("dropped %d", w.Dropped())
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, s := st.tel.count(); b != 3 || s != 10 {
		t.Fatalf("%d batches, %d samples", b, s)
	}
	if w.Written() != 10 {
		t.Fatalf("written %d", w.Written())
	}
}

func TestBatchWriterRetriesAndFlushesOnStop(t *testing.T) {
	st := newFake()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := NewBatchWriter(BatchDeps{Store: st, BatchSize: 100, FlushEvery: 10 * time.Millisecond,
		Clock: ports.ClockFunc(func() time.Time { return now })})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	st.tel.setFail(true)
	for i := 0; i < 5; i++ {
		w.Add(sample("d1", i))
		w.Add(sample("d2", i))
	}
	time.Sleep(50 * time.Millisecond) // a few failed flushes
	if _, s := st.tel.count(); s != 0 {
		t.Fatalf("%d samples written while failing", s)
	}
	st.tel.setFail(false)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, s := st.tel.count(); s == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pending samples not written after recovery")
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Add(sample("d3", 1))
	w.Stop(context.Background())
	if _, s := st.tel.count(); s != 11 || w.Dropped() != 0 {
		t.Fatalf("after stop: %d samples, %d dropped", s, w.Dropped())
	}
	// Presence goes with the samples, in the same Write: seen now (the
	// store marks each device online unless decommissioned), and no
	// second write of the same rows.
	for i, at := range st.tel.seen {
		if !at.Equal(now) {
			t.Fatalf("batch %d written with seen %v, want %v", i, at, now)
		}
	}
	if len(st.pres.updates) != 0 {
		t.Fatalf("presence written apart from the samples: %+v", st.pres.updates)
	}
	w.Stop(context.Background()) // twice is fine
}

func TestSampleOfClampsAndSums(t *testing.T) {
	hb := protocol.Heartbeat{
		CPUPercent: 250, MemoryTotal: 100, MemoryUsed: 500, Load1: -1, Load5: math.Inf(1), ProcessCount: -3,
		Disks:   []protocol.DiskUsage{{Mount: "/", Total: 10, Used: 20}, {Mount: "/b", Total: 5, Used: 1}},
		Network: []protocol.NetRate{{Interface: "eth0", RxBps: -5, TxBps: 7}},
	}
	m := sampleOf("d", time.Unix(1, 0), hb)
	if m.CPUPercent != 100 || m.MemoryUsed != 100 || m.Load1 != 0 || m.ProcessCount != 0 ||
		m.DiskTotal != 15 || m.DiskUsed != 11 || m.NetRxBps != 0 || m.NetTxBps != 7 {
		t.Fatalf("%+v", m)
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(m.Detail), &detail); err != nil || len(detail["disks"].([]any)) != 2 {
		t.Fatalf("detail %q %v", m.Detail, err)
	}
	many := protocol.Heartbeat{}
	for i := 0; i < 500; i++ {
		many.Disks = append(many.Disks, protocol.DiskUsage{Mount: "/x", Total: 1})
	}
	if m := sampleOf("d", time.Unix(1, 0), many); m.DiskTotal != maxDetailItems {
		t.Fatalf("detail not bounded: %d", m.DiskTotal)
	}
}

type sinkFunc func(domain.MetricSample) bool

func (f sinkFunc) Add(s domain.MetricSample) bool { return f(s) }

func TestHeartbeatTimes(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	var got []domain.MetricSample
	svc := &Service{d: Deps{Clock: ports.ClockFunc(func() time.Time { return now }), Retention: 24 * time.Hour,
		Samples: sinkFunc(func(s domain.MetricSample) bool { got = append(got, s); return true })}}
	svc.Heartbeat(context.Background(), "d", protocol.Heartbeat{})                             // no time: now
	svc.Heartbeat(context.Background(), "d", protocol.Heartbeat{At: now.Add(time.Hour)})       // future: now
	svc.Heartbeat(context.Background(), "d", protocol.Heartbeat{At: now.Add(-time.Hour)})      // buffered: kept
	svc.Heartbeat(context.Background(), "d", protocol.Heartbeat{At: now.Add(-48 * time.Hour)}) // past retention: dropped
	// A clock 45 s ahead (inside the accepted skew) must not put the latest
	// sample and last-seen in the future, where later correct samples would
	// be older: clamped to the receive time.
	svc.Heartbeat(context.Background(), "d", protocol.Heartbeat{At: now.Add(45 * time.Second)})
	if len(got) != 4 || !got[0].At.Equal(now) || !got[1].At.Equal(now) || !got[2].At.Equal(now.Add(-time.Hour)) ||
		!got[3].At.Equal(now) {
		t.Fatalf("%+v", got)
	}
}

func TestApplyDiff(t *testing.T) {
	doc := protocol.Inventory{
		OS: &protocol.OSInfo{Name: "linux", KernelVersion: "1"}, CPU: &protocol.CPUInfo{Cores: 2},
		Interfaces: []protocol.NetInterface{{Name: "eth0"}},
		Software: []protocol.SoftwarePackage{
			{Name: "a", Version: "1", Source: "dpkg"}, {Name: "a", Version: "1", Source: "snap"}, {Name: "b", Version: "1", Source: "dpkg"},
		},
	}
	applyDiff(&doc, &protocol.Inventory{
		OS:              &protocol.OSInfo{Name: "linux", KernelVersion: "2"},
		SoftwareAdded:   []protocol.SoftwarePackage{{Name: "a", Version: "2", Source: "dpkg"}, {Name: "c", Version: "1", Source: "dpkg"}},
		SoftwareRemoved: []protocol.SoftwarePackage{{Name: "b", Source: "dpkg"}, {Name: "a", Source: "snap"}, {Name: "zz", Source: "dpkg"}},
	})
	doc.Software = normaliseSoftware(doc.Software)
	if doc.OS.KernelVersion != "2" || doc.CPU.Cores != 2 || len(doc.Interfaces) != 1 {
		t.Fatalf("sections: %+v", doc)
	}
	want := []protocol.SoftwarePackage{{Name: "a", Version: "2", Source: "dpkg"}, {Name: "c", Version: "1", Source: "dpkg"}}
	if len(doc.Software) != len(want) || doc.Software[0] != want[0] || doc.Software[1] != want[1] {
		t.Fatalf("software %+v", doc.Software)
	}
	// An upgrade sent as remove + add of the same package keeps it, upgraded.
	applyDiff(&doc, &protocol.Inventory{
		SoftwareRemoved: []protocol.SoftwarePackage{{Name: "c", Version: "1", Source: "dpkg"}},
		SoftwareAdded:   []protocol.SoftwarePackage{{Name: "c", Version: "2", Source: "dpkg"}},
	})
	if len(doc.Software) != 2 || doc.Software[1].Version != "2" {
		t.Fatalf("upgrade: %+v", doc.Software)
	}
}

func TestKeyAndReportShapes(t *testing.T) {
	for key, ok := range map[string]bool{
		"bek_abc": true, "": false, "bzk_abc": false, "bek_a b": false, "bek_" + string(make([]byte, 200)): false,
	} {
		if wellFormedKey(key) != ok {
			t.Errorf("wellFormedKey(%q) = %v", key, !ok)
		}
	}
	if err := validateReport("host", "linux", "amd64", "1.0.0-rc.1+abc"); err != nil {
		t.Errorf("valid report: %v", err)
	}
	for _, r := range [][4]string{
		{"", "linux", "amd64", "1"}, {"h", "Linux", "amd64", "1"}, {"h", "linux", "amd 64", "1"},
		{"h", "linux", "amd64", ""}, {"h", "linux", "amd64", "1;rm"}, {"h\x07", "linux", "amd64", "1"},
	} {
		if err := validateReport(r[0], r[1], r[2], r[3]); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%q: %v", r, err)
		}
	}
}
