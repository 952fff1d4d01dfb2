//go:build windows

package collect

import "context"

// loadAvg: Windows has no load average; gopsutil emulates one with a
// background sampler, which would cost the idle CPU budget. Reported as 0.
func loadAvg(context.Context) (l1, l5, l15 float64, err error) { return 0, 0, 0, nil }
