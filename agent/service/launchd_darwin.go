//go:build darwin

package service

import (
	"os"
	"os/exec"
)

// New returns the installer for this platform: a launchd system daemon.
func New() Installer {
	return &launchd{
		plistPath: "/Library/LaunchDaemons/" + LaunchdLabel + ".plist",
		binPath:   "/usr/local/bin/" + Name,
		logPath:   "/var/log/" + Name + ".log",
		euid:      os.Geteuid,
		run:       runCommand,
		lookPath:  exec.LookPath,
	}
}
