//go:build !linux

package collect

import (
	"context"

	"github.com/shirou/gopsutil/v4/process"
)

// processCount lists pids only (one syscall-level call), never per-process
// details.
func processCount(ctx context.Context) (int, error) {
	pids, err := process.PidsWithContext(ctx)
	return len(pids), err
}
