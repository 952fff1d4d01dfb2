//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// restartSelf replaces this process with the executable now at its path
// (the new build, or the previous one after a rollback): the same PID, so
// systemd, launchd or a test harness keep watching the same process.
func restartSelf() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the agent executable: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}
