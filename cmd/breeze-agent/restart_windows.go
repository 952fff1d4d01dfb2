//go:build windows

package main

import "errors"

// restartSelf: Windows cannot replace a running process; the agent exits
// with an error and the service manager's recovery action (restart)
// starts the executable now at its path.
func restartSelf() error {
	return errors.New("exiting so the service manager restarts the agent on its new executable")
}
