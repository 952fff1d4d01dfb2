// Package service installs the agent as a system service so it starts at
// boot and comes back when it dies, behind one Installer: a systemd unit on
// Linux, a launchd daemon on macOS, a Windows service (with RunService for
// the service manager's start and stop requests) on Windows.
package service
