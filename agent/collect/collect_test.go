package collect

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/net"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestBusyPercent(t *testing.T) {
	prev := cpu.TimesStat{User: 100, System: 50, Idle: 850}
	cur := cpu.TimesStat{User: 130, System: 60, Idle: 910} // +40 busy, +60 idle
	if got := busyPercent(prev, cur); got < 39.99 || got > 40.01 {
		t.Errorf("busy = %v, want 40", got)
	}
	if got := busyPercent(cur, cur); got != 0 {
		t.Errorf("no time passed: %v", got)
	}
	if got := busyPercent(cur, prev); got != 0 { // counters went backwards
		t.Errorf("backwards: %v", got)
	}
	// Iowait is idle time, not busy time.
	if got := busyPercent(cpu.TimesStat{}, cpu.TimesStat{Iowait: 50, Idle: 50}); got != 0 {
		t.Errorf("iowait counted as busy: %v", got)
	}
}

func TestNetRates(t *testing.T) {
	prev := map[string]net.IOCountersStat{
		"eth0": {Name: "eth0", BytesRecv: 1000, BytesSent: 500},
		"wg0":  {Name: "wg0", BytesRecv: 9000, BytesSent: 9000},
	}
	cur := map[string]net.IOCountersStat{
		"eth0": {Name: "eth0", BytesRecv: 3000, BytesSent: 1500},
		"wg0":  {Name: "wg0", BytesRecv: 10, BytesSent: 10}, // reset
		"new0": {Name: "new0", BytesRecv: 5},
	}
	got := netRates(prev, cur, 2*time.Second)
	if len(got) != 2 || got[0].Interface != "eth0" || got[1].Interface != "wg0" {
		t.Fatalf("rates = %+v", got)
	}
	if got[0].RxBps != 1000 || got[0].TxBps != 500 {
		t.Errorf("eth0 = %+v, want 1000/500", got[0])
	}
	if got[1].RxBps != 0 || got[1].TxBps != 0 {
		t.Errorf("reset counter gave %+v", got[1])
	}
	if netRates(prev, cur, 0) != nil {
		t.Error("zero interval gave rates")
	}
}

func TestPseudoFilesystemsSkipped(t *testing.T) {
	for _, fs := range []string{"proc", "sysfs", "tmpfs", "overlay", "squashfs", "devtmpfs", "cgroup", "cgroup2", "TMPFS"} {
		if !IsPseudoFS(fs) {
			t.Errorf("%s not skipped", fs)
		}
	}
	for _, fs := range []string{"ext4", "xfs", "btrfs", "zfs", "NTFS", "apfs", "nfs4"} {
		if IsPseudoFS(fs) {
			t.Errorf("%s skipped", fs)
		}
	}
	for _, name := range []string{"lo", "lo0", "Loopback Pseudo-Interface 1"} {
		if !IsLoopback(name) {
			t.Errorf("%s not loopback", name)
		}
	}
	if IsLoopback("eth0") || IsLoopback("local0") {
		t.Error("real interface taken as loopback")
	}
}

// On this Linux machine the sampler must return sane values.
func TestSampleOnThisMachine(t *testing.T) {
	ctx := context.Background()
	s := New(Options{})
	s.Prime(ctx)
	// Burn a little CPU so the interval is not empty.
	deadline := time.Now().Add(150 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	hb := s.Sample(ctx)
	if hb.Type != "heartbeat" || hb.At.IsZero() || hb.At.Location() != time.UTC {
		t.Errorf("header/at: %+v %v", hb.Header, hb.At)
	}
	if hb.CPUPercent < 0 || hb.CPUPercent > 100 {
		t.Errorf("cpu %v out of [0,100]", hb.CPUPercent)
	}
	if hb.CPUPercent == 0 {
		t.Errorf("cpu is exactly 0 after a busy loop")
	}
	if hb.MemoryTotal == 0 || hb.MemoryUsed == 0 || hb.MemoryUsed > hb.MemoryTotal {
		t.Errorf("memory used %d total %d", hb.MemoryUsed, hb.MemoryTotal)
	}
	if len(hb.Disks) == 0 {
		t.Fatal("no filesystem")
	}
	for _, d := range hb.Disks {
		if IsPseudoFS(d.FSType) || d.Total == 0 || d.Used > d.Total || d.Mount == "" {
			t.Errorf("bad disk %+v", d)
		}
	}
	if len(hb.Network) == 0 {
		t.Fatal("no network interface")
	}
	for _, n := range hb.Network {
		if IsLoopback(n.Interface) || n.RxBps < 0 || n.TxBps < 0 {
			t.Errorf("bad interface %+v", n)
		}
	}
	if hb.Load1 < 0 || hb.Load5 < 0 || hb.Load15 < 0 {
		t.Errorf("load %v %v %v", hb.Load1, hb.Load5, hb.Load15)
	}
	if hb.UptimeSeconds == 0 {
		t.Error("uptime 0")
	}
	if hb.ProcessCount < 2 { // at least init and this test
		t.Errorf("process count %d", hb.ProcessCount)
	}
}

func BenchmarkSample(b *testing.B) {
	ctx := context.Background()
	s := New(Options{})
	s.Prime(ctx)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Sample(ctx)
	}
}

func TestSampleAddsPluginMetrics(t *testing.T) {
	want := []protocol.PluginMetric{{Plugin: "acme.x", Name: "x.count", Value: 3, Unit: "units"}}
	s := New(Options{PluginMetrics: func(context.Context) []protocol.PluginMetric { return want }})
	if hb := s.Sample(context.Background()); !reflect.DeepEqual(hb.PluginMetrics, want) {
		t.Fatalf("plugin metrics = %+v", hb.PluginMetrics)
	}
}
