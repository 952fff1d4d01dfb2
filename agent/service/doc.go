// Package service installs the agent as a system service so it starts at
// boot and comes back when it dies: a systemd unit on Linux; launchd and the
// Windows service manager are planned behind the same Installer interface and
// say so at run time.
package service
