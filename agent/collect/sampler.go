package collect

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/breeze-rmm/breeze/protocol"
)

// Options configures a Sampler.
type Options struct {
	Logger hclog.Logger
	Now    func() time.Time // for tests; time.Now by default
	// PluginMetrics, when set, adds collector plugins' metrics to each
	// heartbeat (agent/plugins.Manager.Metrics); it must bound its time.
	PluginMetrics func(ctx context.Context) []protocol.PluginMetric
}

// Sampler produces heartbeats. It keeps the previous CPU and network
// counters to turn them into a percentage and rates. Safe for concurrent use
// (calls are serialised).
type Sampler struct {
	log     hclog.Logger
	now     func() time.Time
	plugins func(ctx context.Context) []protocol.PluginMetric

	mu       sync.Mutex
	cpu      cpuState
	net      netState
	bootTime uint64 // cached: it never changes while we run
	warned   map[string]bool
}

// New returns a Sampler; call Prime once so the first heartbeat has rates.
func New(opts Options) *Sampler {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sampler{log: opts.Logger.Named("collect"), now: opts.Now, plugins: opts.PluginMetrics, warned: map[string]bool{}}
}

// Prime reads the counters once so the next Sample reports CPU and network
// over the interval since now rather than since boot.
func (s *Sampler) Prime(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.cpu.percent(ctx); err != nil {
		s.warn("cpu", err)
	}
	if _, err := s.net.rates(ctx, s.now()); err != nil {
		s.warn("network", err)
	}
}

// Sample takes one heartbeat. A section that cannot be read is left empty and
// logged (at warn the first time, then at debug), so one broken source does not
// silence the others.
func (s *Sampler) Sample(ctx context.Context) protocol.Heartbeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	hb := protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, At: now.UTC()}

	if pct, err := s.cpu.percent(ctx); err != nil {
		s.warn("cpu", err)
	} else {
		hb.CPUPercent = pct
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		s.warn("memory", err)
	} else {
		hb.MemoryTotal, hb.MemoryUsed = vm.Total, min(vm.Used, vm.Total)
	}
	if disks, err := DiskUsage(ctx); err != nil {
		s.warn("disk", err)
	} else {
		hb.Disks = disks
	}
	if rates, err := s.net.rates(ctx, now); err != nil {
		s.warn("network", err)
	} else {
		hb.Network = rates
	}
	if l1, l5, l15, err := loadAvg(ctx); err != nil {
		s.warn("load", err)
	} else {
		hb.Load1, hb.Load5, hb.Load15 = l1, l5, l15
	}
	if up, err := s.uptime(ctx, now); err != nil {
		s.warn("uptime", err)
	} else {
		hb.UptimeSeconds = up
	}
	if n, err := processCount(ctx); err != nil {
		s.warn("processes", err)
	} else {
		hb.ProcessCount = n
	}
	if s.plugins != nil {
		hb.PluginMetrics = s.plugins(ctx)
	}
	return hb
}

func (s *Sampler) uptime(ctx context.Context, now time.Time) (uint64, error) {
	if s.bootTime == 0 {
		bt, err := host.BootTimeWithContext(ctx)
		if err != nil {
			return 0, err
		}
		s.bootTime = bt
	}
	if n := uint64(now.Unix()); n > s.bootTime {
		return n - s.bootTime, nil
	}
	return 0, nil
}

func (s *Sampler) warn(section string, err error) {
	if !s.warned[section] {
		s.warned[section] = true
		s.log.Warn("cannot read metric; it will be left out of heartbeats", "metric", section, "error", err)
		return
	}
	s.log.Debug("cannot read metric", "metric", section, "error", err)
}
