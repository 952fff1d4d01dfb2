package collect

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/net"

	"github.com/breeze-rmm/breeze/protocol"
)

// netState turns cumulative per-interface byte counters into rates.
type netState struct {
	prev   map[string]net.IOCountersStat
	prevAt time.Time
}

// IsLoopback reports whether an interface name is the loopback on any of our
// platforms.
func IsLoopback(name string) bool {
	return name == "lo" || name == "lo0" || strings.HasPrefix(name, "Loopback")
}

func (n *netState) rates(ctx context.Context, now time.Time) ([]protocol.NetRate, error) {
	counters, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil, err
	}
	cur := make(map[string]net.IOCountersStat, len(counters))
	for _, c := range counters {
		if !IsLoopback(c.Name) {
			cur[c.Name] = c
		}
	}
	prev, prevAt := n.prev, n.prevAt
	n.prev, n.prevAt = cur, now
	if prev == nil {
		return nil, nil // first reading: no interval yet
	}
	return netRates(prev, cur, now.Sub(prevAt)), nil
}

// netRates computes bytes per second for interfaces present in both
// readings; a counter that went backwards (reset, wrap) counts as zero.
func netRates(prev, cur map[string]net.IOCountersStat, dt time.Duration) []protocol.NetRate {
	if dt <= 0 {
		return nil
	}
	secs := dt.Seconds()
	out := make([]protocol.NetRate, 0, len(cur))
	for name, c := range cur {
		p, ok := prev[name]
		if !ok {
			continue
		}
		out = append(out, protocol.NetRate{
			Interface: name,
			RxBps:     delta(p.BytesRecv, c.BytesRecv) / secs,
			TxBps:     delta(p.BytesSent, c.BytesSent) / secs,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Interface < out[j].Interface })
	return out
}

func delta(a, b uint64) float64 {
	if b < a {
		return 0
	}
	return float64(b - a)
}
