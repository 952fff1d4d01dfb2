package collect

import (
	"context"
	"fmt"
	"runtime"

	"github.com/shirou/gopsutil/v4/cpu"
)

// cpuState turns cumulative CPU times into a busy percentage between two
// calls, without the blocking sleep cpu.Percent would do.
type cpuState struct {
	prev *cpu.TimesStat
}

func (c *cpuState) percent(ctx context.Context) (float64, error) {
	times, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return 0, err
	}
	if len(times) == 0 {
		return 0, fmt.Errorf("no cpu times")
	}
	cur := times[0]
	prev := c.prev
	c.prev = &cur
	if prev == nil {
		// First reading: the average since boot is the best we have.
		return busyPercent(cpu.TimesStat{}, cur), nil
	}
	return busyPercent(*prev, cur), nil
}

// busyPercent is the share of non-idle time between two readings, in [0,100].
func busyPercent(prev, cur cpu.TimesStat) float64 {
	pb, pt := busyTotal(prev)
	cb, ct := busyTotal(cur)
	dt := ct - pt
	if dt <= 0 {
		return 0
	}
	pct := (cb - pb) / dt * 100
	return max(0, min(100, pct))
}

func busyTotal(t cpu.TimesStat) (busy, total float64) {
	total = t.Total()
	if runtime.GOOS == "linux" {
		// Linux already counts guest time inside user and nice.
		total -= t.Guest + t.GuestNice
	}
	return total - t.Idle - t.Iowait, total
}
