//go:build unix

package pluginhost

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the plugin in its own process group so killing it
// also kills whatever it spawned (which would otherwise hold its output
// pipes open and stall go-plugin's clean-up).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcess SIGKILLs the plugin's process group; safe to repeat and on a
// process that never started.
func killProcess(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	_ = cmd.Process.Kill()
}
