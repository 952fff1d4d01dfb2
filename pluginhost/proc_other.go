//go:build !unix

package pluginhost

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

// killProcess kills the plugin process; safe to repeat and on a process
// that never started.
func killProcess(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
}
