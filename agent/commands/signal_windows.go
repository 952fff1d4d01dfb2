//go:build windows

package commands

import (
	"fmt"
	"os"
)

// sendSignal: Windows has no TERM; both end the process.
func sendSignal(pid int, _ bool) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("find %d: %w", pid, err)
	}
	if err := p.Kill(); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}
