package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breeze-rmm/breeze/sdk"
)

// call runs fn against the live plugin, bounded by timeout (0: by ctx only).
// A call that outlives timeout means the plugin hangs: it is killed and the
// supervisor restarts it; the caller gets ErrCallTimeout.
func call[T any](ctx context.Context, s *Supervisor, timeout time.Duration, fn func(context.Context, sdk.Plugin) (T, error)) (T, error) {
	var zero T
	inst, err := s.live()
	if err != nil {
		return zero, err
	}
	if timeout <= 0 {
		out, err := fn(ctx, inst.plugin)
		return out, crashed(s, inst, err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		out, err := fn(ctx, inst.plugin) // the caller's shorter deadline is the caller's business
		return out, crashed(s, inst, err)
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	out, err := fn(cctx, inst.plugin)
	if err != nil && ctx.Err() == nil && timedOut(cctx, err, deadline) {
		terr := fmt.Errorf("%w: %s gave no answer within %s: %w", ErrCallTimeout, s.spec.ID, timeout, err)
		s.log.Error("plugin call timed out, killing the plugin", "timeout", timeout, "pid", inst.pid)
		inst.kill(terr)
		return zero, terr
	}
	return out, crashed(s, inst, err)
}

// crashed puts the plugin's panic in front of a call's error when the
// connection broke because the process panicked (gRPC Unavailable); the
// plugin's own errors pass unchanged.
func crashed(s *Supervisor, inst *instance, err error) error {
	if err == nil || status.Code(err) != codes.Unavailable {
		return err
	}
	return withPanic(s.spec.ID, inst.panics, err)
}

// timedOut says whether our deadline ended the call. gRPC sends the deadline
// to the plugin, whose side may report it a moment before our own timer
// fires; an earlier DeadlineExceeded is the plugin's own (say, an HTTP
// timeout inside it) and no reason to kill it.
func timedOut(cctx context.Context, err error, deadline time.Time) bool {
	if cctx.Err() == context.DeadlineExceeded {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && time.Until(deadline) < deadlineSlack
}

// deadlineSlack is how early a DeadlineExceeded may arrive and still be ours.
const deadlineSlack = 100 * time.Millisecond

// client is the typed client every accessor hands out. It is bound to the
// supervisor, not to one process, so it keeps working across restarts.
type client struct{ s *Supervisor }

func (c client) Info(ctx context.Context) (sdk.Info, error) {
	return call(ctx, c.s, c.s.spec.CallTimeout, func(ctx context.Context, p sdk.Plugin) (sdk.Info, error) {
		return p.Info(ctx)
	})
}

type alertChannel struct{ client }

func (c alertChannel) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	return call(ctx, c.s, c.s.spec.CallTimeout, func(ctx context.Context, p sdk.Plugin) (sdk.SendResult, error) {
		return p.(sdk.AlertChannel).Send(ctx, n)
	})
}

func (c alertChannel) Test(ctx context.Context, settings json.RawMessage) (sdk.TestResult, error) {
	return call(ctx, c.s, c.s.spec.CallTimeout, func(ctx context.Context, p sdk.Plugin) (sdk.TestResult, error) {
		return p.(sdk.AlertChannel).Test(ctx, settings)
	})
}

type scanner struct{ client }

// Scan streams for as long as the scan takes: only ctx bounds it.
func (c scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	_, err := call(ctx, c.s, 0, func(ctx context.Context, p sdk.Plugin) (struct{}, error) {
		return struct{}{}, p.(sdk.Scanner).Scan(ctx, spec, emit)
	})
	return err
}

type scriptRuntime struct{ client }

func (c scriptRuntime) Languages(ctx context.Context) ([]string, error) {
	return call(ctx, c.s, c.s.spec.CallTimeout, func(ctx context.Context, p sdk.Plugin) ([]string, error) {
		return p.(sdk.ScriptRuntime).Languages(ctx)
	})
}

// Run is bounded by the script's own timeout plus CallTimeout of grace for
// the runtime to report it; without a script timeout only ctx bounds it.
func (c scriptRuntime) Run(ctx context.Context, req sdk.RunRequest, stdout, stderr io.Writer) (sdk.ExitStatus, error) {
	var bound time.Duration
	if req.Timeout > 0 {
		bound = req.Timeout + c.s.spec.CallTimeout
	}
	return call(ctx, c.s, bound, func(ctx context.Context, p sdk.Plugin) (sdk.ExitStatus, error) {
		return p.(sdk.ScriptRuntime).Run(ctx, req, stdout, stderr)
	})
}

type collector struct{ client }

func (c collector) Collect(ctx context.Context) (sdk.Collection, error) {
	return call(ctx, c.s, c.s.spec.CallTimeout, func(ctx context.Context, p sdk.Plugin) (sdk.Collection, error) {
		return p.(sdk.Collector).Collect(ctx)
	})
}
