package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
)

// outcome is what an action returns besides a script's output.
type outcome struct {
	data any
	note string // short human text (stdout) for actions without output
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
	if c.Action == protocol.ActionRunScript {
		return e.runScript(ctx, c, res)
	}
	timeout := e.d.DefaultTimeout
	if c.TimeoutSeconds > 0 {
		timeout = time.Duration(c.TimeoutSeconds) * time.Second
	} else if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := e.action(actx, c)
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
	return res
}

func (e *Executor) action(ctx context.Context, c protocol.Command) (outcome, error) {
	switch c.Action {
	case protocol.ActionCollectInventory:
		if e.d.Inventory == nil {
			return outcome{}, errors.New("this agent has no inventory source")
		}
		if err := e.d.Inventory(ctx); err != nil {
			return outcome{}, fmt.Errorf("send inventory: %w", err)
		}
		return outcome{note: "full inventory sent"}, nil
	case protocol.ActionListProcesses:
		ps, err := listProcesses(ctx)
		return outcome{data: ps}, err
	case protocol.ActionKillProcess:
		var p protocol.KillProcessPayload
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		if err := killProcess(p); err != nil {
			return outcome{}, err
		}
		return outcome{note: fmt.Sprintf("sent %s to %d", signalName(p.Signal), p.PID)}, nil
	case protocol.ActionListServices:
		svcs, err := listServices(ctx, e.d.Systemctl)
		return outcome{data: svcs}, err
	case protocol.ActionRestartService:
		var p protocol.ServicePayload
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		if err := restartService(ctx, e.d.Systemctl, p.Name); err != nil {
			return outcome{}, err
		}
		return outcome{note: "restarted " + p.Name}, nil
	case protocol.ActionReboot:
		var p protocol.RebootPayload
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		if p.DelaySeconds < 0 {
			return outcome{}, errors.New("delaySeconds must not be negative")
		}
		note, err := e.d.Power.Reboot(ctx, time.Duration(p.DelaySeconds)*time.Second)
		return outcome{note: note}, err
	case protocol.ActionDiscover:
		var p protocol.DiscoverPayload
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		if e.d.Discover == nil {
			return outcome{}, errors.New("this agent runs no plugins")
		}
		assets, note, err := e.d.Discover(ctx, p)
		if err != nil {
			return outcome{}, err
		}
		return outcome{data: assets, note: note}, nil
	case protocol.ActionUninstallAgent:
		note, err := e.d.Power.Uninstall(ctx)
		return outcome{note: note}, err
	default:
		return outcome{}, fmt.Errorf("unknown action %q (this agent knows: %v)", c.Action, protocol.Actions())
	}
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

func (e *Executor) runScript(ctx context.Context, c protocol.Command, res protocol.CommandResult) protocol.CommandResult {
	var p protocol.RunScriptPayload
	if err := decodePayload(c, &p); err != nil {
		res.Status, res.Error = protocol.ResultFailed, err.Error()
		return res
	}
	if e.d.Scripts == nil {
		res.Status, res.Error = protocol.ResultFailed, "this agent runs no scripts"
		return res
	}
	out, err := e.d.Scripts.Run(ctx, scripts.Spec{Language: p.Language, Body: p.Body, Args: p.Args, Env: p.Env,
		RunAs: p.RunAs, Timeout: time.Duration(c.TimeoutSeconds) * time.Second, OutputCap: c.OutputCap})
	if err != nil {
		res.Status, res.Error = protocol.ResultFailed, err.Error()
		return res
	}
	res.ExitCode, res.Stdout, res.Stderr, res.Truncated = out.ExitCode, out.Stdout, out.Stderr, out.Truncated
	switch {
	case out.Cancelled:
		res.Status, res.Error = protocol.ResultCancelled, "agent stopped during the script"
	case out.TimedOut:
		res.Status, res.Error = protocol.ResultTimedOut, "killed at its timeout"
	case out.ExitCode != nil && *out.ExitCode == 0:
		res.Status = protocol.ResultSucceeded
	case out.ExitCode != nil:
		res.Status, res.Error = protocol.ResultFailed, fmt.Sprintf("exit code %d", *out.ExitCode)
	default:
		res.Status, res.Error = protocol.ResultFailed, "killed by a signal"
	}
	return res
}
