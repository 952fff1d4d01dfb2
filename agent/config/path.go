package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// EnvPath overrides the config location (after the --config flag).
const EnvPath = "BREEZE_AGENT_CONFIG"

// Resolve picks the config path: the flag, then $BREEZE_AGENT_CONFIG, then
// the platform default.
func Resolve(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := os.Getenv(EnvPath); p != "" {
		return p
	}
	return DefaultPath()
}

// DefaultPath is the platform's place for the file: system-wide when running
// as root (the service), per-user otherwise (a developer's test agent).
func DefaultPath() string {
	root := os.Geteuid() == 0
	switch runtime.GOOS {
	case "windows":
		// %AppData%; for the LocalSystem service this is its own
		// system profile, which only administrators can read.
		return filepath.Join(userConfigDir(), "Breeze", "agent.json")
	case "darwin":
		if root {
			return "/Library/Application Support/Breeze/agent.json"
		}
		return filepath.Join(userConfigDir(), "Breeze", "agent.json")
	default:
		if root {
			return "/etc/breeze/agent.json"
		}
		return filepath.Join(userConfigDir(), "breeze", "agent.json") // $XDG_CONFIG_HOME or ~/.config
	}
}

func userConfigDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return d
	}
	return "."
}
