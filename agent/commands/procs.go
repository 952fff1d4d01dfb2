package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionListProcesses, simple(func(ctx context.Context, _ *Executor) (outcome, error) {
		ps, err := listProcesses(ctx)
		return outcome{data: ps}, err
	}))
	register(protocol.ActionKillProcess, withPayload(func(_ context.Context, _ *Executor, p protocol.KillProcessPayload) (outcome, error) {
		if err := killProcess(p); err != nil {
			return outcome{}, err
		}
		return outcome{note: fmt.Sprintf("sent %s to %d", signalName(p.Signal), p.PID)}, nil
	}))
}

// Bounds that keep list_processes' answer inside one frame.
const (
	maxProcesses = 2000
	maxCmdline   = 256
)

func listProcesses(ctx context.Context) ([]protocol.Process, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	out := make([]protocol.Process, 0, min(len(procs), maxProcesses))
	for _, p := range procs {
		if len(out) == maxProcesses || ctx.Err() != nil {
			break
		}
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue // exited meanwhile
		}
		e := protocol.Process{PID: p.Pid, Name: name}
		e.PPID, _ = p.PpidWithContext(ctx)
		e.User, _ = p.UsernameWithContext(ctx)
		e.CPUPercent, _ = p.CPUPercentWithContext(ctx)
		if m, err := p.MemoryInfoWithContext(ctx); err == nil && m != nil {
			e.RSS = m.RSS
		}
		if cl, err := p.CmdlineWithContext(ctx); err == nil {
			if len(cl) > maxCmdline {
				cl = cl[:maxCmdline] + "…"
			}
			e.Cmdline = strings.ToValidUTF8(cl, "?")
		}
		out = append(out, e)
	}
	return out, nil
}

func signalName(s string) string {
	if s == "" {
		return "TERM"
	}
	return strings.ToUpper(s)
}

func killProcess(p protocol.KillProcessPayload) error {
	if p.PID <= 1 {
		return fmt.Errorf("pid %d: refusing to signal it", p.PID)
	}
	if p.PID == os.Getpid() {
		return errors.New("refusing to kill the agent itself (use uninstall_agent)")
	}
	sig := signalName(p.Signal)
	if sig != "TERM" && sig != "KILL" {
		return fmt.Errorf("signal %q: want TERM or KILL", p.Signal)
	}
	return sendSignal(p.PID, sig == "KILL")
}
