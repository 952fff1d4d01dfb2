package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// remote runs the remote-work phases once every agent is linked. A failed
// phase is recorded in its report and the others still run; the error
// names the failed phases (or is fatal: a shard exited, an interrupt).
func (c *coord) remote(ctx context.Context, rep *report) error {
	cfg := c.cfg
	rr := &remoteReport{}
	rep.Remote = rr
	api := newPhaseClient(cfg.server)
	if err := api.login(ctx, cfg.email, cfg.password); err != nil {
		return fmt.Errorf("remote phases: sign in: %w", err)
	}
	devices, err := c.linkedDevices(ctx)
	if err != nil {
		return fmt.Errorf("remote phases: list linked devices: %w", err)
	}
	rr.Linked = len(devices)
	if len(devices) == 0 {
		return errors.New("remote phases: no agent is linked")
	}

	var failed []string
	note := func(name string, err error, msg *string) error {
		if err == nil {
			return nil
		}
		if errors.Is(err, errShardExited) || ctx.Err() != nil {
			return err
		}
		*msg = err.Error()
		failed = append(failed, name)
		c.logf("%s failed: %v", name, err)
		return nil
	}
	if cfg.dispatch > 0 {
		c.logf("dispatch: %d commands to %d linked devices, %d in flight", cfg.dispatch, len(devices), cfg.dispatchConc)
		rr.Dispatch = &dispatchReport{}
		err := c.dispatchPhase(ctx, api, devices, rr.Dispatch)
		if err := note("dispatch", err, &rr.Dispatch.Error); err != nil {
			return err
		}
		c.logf("dispatch: API call → agent %s", rr.Dispatch.APIToAgent)
	}
	if cfg.echo > 0 {
		rr.Echo = &echoReport{Device: devices[0], Keystrokes: cfg.echo}
		c.logf("terminal echo: %d keystrokes on device %s", cfg.echo, rr.Echo.Device)
		err := c.during(ctx, func(ctx context.Context) error { return echoPhase(ctx, cfg, api, rr.Echo) })
		if err := note("terminal echo", err, &rr.Echo.Error); err != nil {
			return err
		}
		c.logf("terminal echo: %s", rr.Echo.Latency)
	}
	if cfg.scriptRun {
		rr.ScriptRun = &scriptRunReport{}
		c.logf("script run: on the org of device %s", devices[0])
		err := c.during(ctx, func(ctx context.Context) error { return scriptPhase(ctx, cfg, api, devices[0], rr.ScriptRun) })
		if err := note("script run", err, &rr.ScriptRun.Error); err != nil {
			return err
		}
		c.logf("script run: %d of %d succeeded in %.2fs", rr.ScriptRun.Succeeded, rr.ScriptRun.Total, rr.ScriptRun.Seconds)
	}
	if len(failed) > 0 {
		return fmt.Errorf("remote phases failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// newPhaseClient is an API client keeping enough idle connections for
// the dispatch concurrency (a new connection per call would be timed too).
func newPhaseClient(base string) *apiClient {
	c := newAPIClient(base)
	c.http.Transport = &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	return c
}

// linkedDevices asks every shard for its linked agents' device ids.
func (c *coord) linkedDevices(ctx context.Context) ([]string, error) {
	c.broadcast(cmdDevices)
	got, err := c.waitAll(ctx, evDevices, time.Minute, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range got {
		out = append(out, e.DeviceIDs...)
	}
	return out, nil
}

// during runs f while taking the shards' events, so their pipes never
// fill (a shard blocked on its output would stall its agents).
func (c *coord) during(ctx context.Context, f func(context.Context) error) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(fctx) }()
	for {
		select {
		case err := <-done:
			return err
		case e := <-c.events:
			c.apply(e)
			if e.Ev == evExit && c.reports[e.Shard] == nil {
				cancel()
				<-done
				return errShardExited
			}
		}
	}
}
