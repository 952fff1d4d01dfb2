package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
)

// run_script enforces the command's timeout itself: the runner kills the
// whole process group and the result says timed_out with the output so far.
func init() { register(protocol.ActionRunScript, runScript) }

func runScript(ctx context.Context, e *Executor, c protocol.Command, res *protocol.CommandResult) {
	var p protocol.RunScriptPayload
	if err := decodePayload(c, &p); err != nil {
		res.Status, res.Error = protocol.ResultFailed, err.Error()
		return
	}
	if e.d.Scripts == nil {
		res.Status, res.Error = protocol.ResultFailed, "this agent runs no scripts"
		return
	}
	out, err := e.d.Scripts.Run(ctx, scripts.Spec{Language: p.Language, Body: p.Body, Args: p.Args, Env: p.Env,
		RunAs: p.RunAs, Timeout: time.Duration(c.TimeoutSeconds) * time.Second, OutputCap: c.OutputCap})
	if err != nil {
		res.Status, res.Error = protocol.ResultFailed, err.Error()
		return
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
}
