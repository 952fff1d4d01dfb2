package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/host"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionUptime, simple(func(ctx context.Context, _ *Executor) (outcome, error) {
		secs, err := host.UptimeWithContext(ctx)
		if err != nil {
			return outcome{}, fmt.Errorf("read uptime: %w", err)
		}
		return outcome{data: protocol.UptimeResult{Seconds: secs}, note: "up " + (time.Duration(secs) * time.Second).String()}, nil
	}))
}
