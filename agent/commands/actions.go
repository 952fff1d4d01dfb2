package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// An action fills res (status, output, data) for command c. Every action
// registers one from its own file; execute looks it up by name.
type action func(ctx context.Context, e *Executor, c protocol.Command, res *protocol.CommandResult)

var actions = map[string]action{}

// register adds an action; call it from an init function of the file
// that implements it.
func register(name string, a action) {
	if _, dup := actions[name]; dup || name == "" {
		panic(fmt.Sprintf("commands: action %q registered twice or unnamed", name))
	}
	actions[name] = a
}

// outcome is what a task returns besides its error.
type outcome struct {
	data any
	note string // short human text (stdout) for actions without output
}

// task adapts an action that returns data or a note: it runs under the
// command's timeout and its error becomes the result's status.
func task(run func(ctx context.Context, e *Executor, c protocol.Command) (outcome, error)) action {
	return func(ctx context.Context, e *Executor, c protocol.Command, res *protocol.CommandResult) {
		timeout := e.d.DefaultTimeout
		if c.TimeoutSeconds > 0 {
			timeout = time.Duration(c.TimeoutSeconds) * time.Second
		} else if timeout <= 0 {
			timeout = 5 * time.Minute
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, err := run(actx, e, c)
		switch {
		case err == nil:
			res.Status = protocol.ResultSucceeded
		case ctx.Err() != nil:
			res.Status, res.Error = protocol.ResultCancelled, "agent stopped: "+err.Error()
		case errors.Is(actx.Err(), context.DeadlineExceeded):
			res.Status, res.Error = protocol.ResultTimedOut, err.Error()
		default:
			res.Status, res.Error = protocol.ResultFailed, err.Error()
		}
		res.Stdout = out.note
		if out.data != nil {
			if b, err := json.Marshal(out.data); err == nil {
				res.Data = b
			}
		}
	}
}

// simple is a task without a payload.
func simple(run func(ctx context.Context, e *Executor) (outcome, error)) action {
	return task(func(ctx context.Context, e *Executor, _ protocol.Command) (outcome, error) { return run(ctx, e) })
}

// withPayload is a task whose payload decodes into P first.
func withPayload[P any](run func(ctx context.Context, e *Executor, p P) (outcome, error)) action {
	return task(func(ctx context.Context, e *Executor, c protocol.Command) (outcome, error) {
		var p P
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		return run(ctx, e, p)
	})
}

// execute runs c and returns its result; it never panics the agent.
func (e *Executor) execute(ctx context.Context, c protocol.Command) (res protocol.CommandResult) {
	res = protocol.CommandResult{Header: header(c.ID), StartedAt: e.d.Now().UTC()}
	defer func() {
		if p := recover(); p != nil {
			res.Status, res.Error = protocol.ResultFailed, fmt.Sprintf("agent bug: %v", p)
			e.log.Error("command panicked", "id", c.ID, "panic", p)
		}
		res.FinishedAt = e.d.Now().UTC()
	}()
	run, ok := actions[c.Action]
	if !ok {
		res.Status, res.Error = protocol.ResultFailed, fmt.Sprintf("unknown action %q (this agent knows: %v)", c.Action, Actions())
		return res
	}
	run(ctx, e, c, &res)
	return res
}

// Actions lists the actions this agent runs, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for n := range actions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func decodePayload(c protocol.Command, v any) error {
	if len(c.Payload) == 0 || string(c.Payload) == "null" {
		return nil
	}
	if err := json.Unmarshal(c.Payload, v); err != nil {
		return fmt.Errorf("%s payload: %w", c.Action, err)
	}
	return nil
}
