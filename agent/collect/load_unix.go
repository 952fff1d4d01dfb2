//go:build !windows

package collect

import (
	"context"

	"github.com/shirou/gopsutil/v4/load"
)

func loadAvg(ctx context.Context) (l1, l5, l15 float64, err error) {
	a, err := load.AvgWithContext(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return a.Load1, a.Load5, a.Load15, nil
}
