package agents

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// Retention defaults.
const (
	DefaultRetention  = 30 * 24 * time.Hour
	DefaultPruneEvery = time.Hour
)

// RetentionDeps configure a Retention job.
type RetentionDeps struct {
	Store  ports.Store
	Clock  ports.Clock
	Logger ports.Logger
	// Keep is how long raw samples are kept (default 30 days); Every is how
	// often the job prunes (default hourly).
	Keep  time.Duration
	Every time.Duration
}

// Retention prunes telemetry samples older than Keep.
type Retention struct{ d RetentionDeps }

// NewRetention checks deps and fills defaults.
func NewRetention(d RetentionDeps) (*Retention, error) {
	if d.Store == nil {
		return nil, errors.New("agents: RetentionDeps.Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Keep < 0 || d.Every < 0 {
		return nil, errors.New("agents: negative retention setting")
	}
	if d.Keep == 0 {
		d.Keep = DefaultRetention
	}
	if d.Every == 0 {
		d.Every = DefaultPruneEvery
	}
	return &Retention{d: d}, nil
}

// Run prunes once at start and then every Every until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	t := time.NewTicker(r.d.Every)
	defer t.Stop()
	for {
		if n, err := r.Prune(ctx); err != nil && ctx.Err() == nil {
			r.d.Logger.Warn("telemetry retention failed; will retry", "error", err)
		} else if n > 0 {
			r.d.Logger.Info("telemetry pruned", "samples", n, "older_than", r.d.Keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes samples older than now − Keep and returns how many.
func (r *Retention) Prune(ctx context.Context) (int64, error) {
	return r.d.Store.Telemetry().Prune(ctx, r.d.Clock.Now().Add(-r.d.Keep))
}
