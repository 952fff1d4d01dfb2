//go:build linux

package pluginhost

import (
	"context"
	"testing"
	"time"
)

func contextWithTimeout(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}
