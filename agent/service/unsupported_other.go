//go:build !linux

package service

import (
	"context"
	"fmt"
	"runtime"
)

// New returns the installer for this platform. launchd (macOS) and the
// Windows service manager are planned; until then Install says what to do.
func New() Installer { return unsupported{} }

type unsupported struct{}

func (unsupported) Install(context.Context, Options) error {
	return fmt.Errorf("installing a service is %w on %s: run `%s run` under your service manager (%s)",
		ErrUnsupported, runtime.GOOS, Name, plannedManager())
}

func plannedManager() string {
	switch runtime.GOOS {
	case "darwin":
		return "a launchd daemon is planned"
	case "windows":
		return "a Windows service is planned"
	default:
		return "no service manager support is planned yet"
	}
}
