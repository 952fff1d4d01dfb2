package main

import (
	"path/filepath"
	"testing"

	"github.com/breeze-rmm/breeze/agent/config"
)

// A relative --config (make run uses ./data/agent/agent.json) still gives
// an absolute state directory: the plugin manager refuses a relative one.
func TestStateDirIsAbsolute(t *testing.T) {
	got := stateDir(config.Config{}, "./data/agent/agent.json")
	if !filepath.IsAbs(got) || filepath.Base(got) != "agent" {
		t.Fatalf("state dir %q", got)
	}
	if got := stateDir(config.Config{StateDir: "/var/lib/breeze"}, "x/agent.json"); got != "/var/lib/breeze" {
		t.Fatalf("configured state dir replaced: %q", got)
	}
}
