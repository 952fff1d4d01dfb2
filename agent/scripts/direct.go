package scripts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Direct is a runtime that runs the script body itself instead of
// returning a command: a plugin runtime streams it through the plugin's
// Run call. Command is never called for a Direct runtime.
type Direct interface {
	Runtime
	// RunDirect runs body until it ends or ctx ends, writing output as it
	// comes. timedOut says the runtime stopped it at d.Timeout itself.
	RunDirect(ctx context.Context, d DirectRun, stdout, stderr io.Writer) (exitCode int, timedOut bool, err error)
}

// DirectRun is what a Direct runtime gets: the parameters only, never the
// agent's environment.
type DirectRun struct {
	Language string
	Body     string
	Args     []string
	Env      map[string]string
	Timeout  time.Duration
}

// errDirectRunAs: a plugin process runs as the agent and cannot switch.
var errDirectRunAs = errors.New("this runtime runs scripts as the agent's user only")

// runDirect is Run for a Direct runtime: same spec checks, timeout, output
// caps and result mapping as a command, no temporary file.
func (r *Runner) runDirect(ctx context.Context, rt Direct, spec Spec) (Result, error) {
	acct, err := resolveRunAs(spec.RunAs)
	if err != nil {
		return Result{}, err
	}
	if acct.switches() {
		return Result{}, fmt.Errorf("runtime %s: runAs %q: %w", rt.Name(), spec.RunAs, errDirectRunAs)
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	limit := spec.OutputCap
	if limit <= 0 {
		limit = 1 << 20
	}
	stdout, stderr := newCapped(limit), newCapped(limit)
	code, timedOut, err := rt.RunDirect(runCtx, DirectRun{Language: spec.Language, Body: spec.Body, Args: spec.Args,
		Env: spec.Env, Timeout: timeout}, stdout, stderr)
	res := Result{}
	res.Stdout, res.Truncated = stdout.result()
	var errTrunc bool
	res.Stderr, errTrunc = stderr.result()
	res.Truncated = res.Truncated || errTrunc
	switch {
	case ctx.Err() != nil:
		res.Cancelled = true
	case timedOut || errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.TimedOut = true
	case err != nil:
		return Result{}, fmt.Errorf("runtime %s: %w", rt.Name(), err)
	default:
		res.ExitCode = &code
	}
	return res, nil
}
