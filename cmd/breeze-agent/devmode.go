package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/breeze-rmm/breeze/agent/config"
)

// devMarker is the file a running agent in plugin dev mode keeps in its
// state directory (the directory, one line), so `status` can say so also
// when the mode came from `run --plugin-dev-dir` rather than the config.
const devMarker = "plugin-dev-mode"

func devMarkerPath(cfg config.Config, configPath string) string {
	return filepath.Join(stateDir(cfg, configPath), devMarker)
}

// markDevMode records dir (and returns the function removing the mark).
func markDevMode(cfg config.Config, configPath, dir string) func() {
	path := devMarkerPath(cfg, configPath)
	if err := os.WriteFile(path, []byte(dir+"\n"), 0o600); err != nil {
		return func() {}
	}
	return func() { _ = os.Remove(path) }
}

// runningDevDir is the dev directory of a running agent, or "".
func runningDevDir(cfg config.Config, configPath string) string {
	b, err := os.ReadFile(devMarkerPath(cfg, configPath))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
