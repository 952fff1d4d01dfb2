//go:build !linux && !darwin && !windows

package service

import (
	"context"
	"fmt"
	"runtime"
)

// New returns the installer for this platform: none is handled (systemd,
// launchd and the Windows service manager are); Install says what to do.
func New() Installer { return unsupported{} }

type unsupported struct{}

func (unsupported) Install(context.Context, Options) error {
	return fmt.Errorf("installing a service is %w on %s: run `%s run` under your service manager",
		ErrUnsupported, runtime.GOOS, Name)
}
