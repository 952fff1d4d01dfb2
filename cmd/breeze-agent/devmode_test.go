package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/agent/config"
)

// Plugin dev mode from the command line: refused without the config's
// allowUnsignedPlugins (before any link is made), and status says which
// way the agent stands.
func TestPluginDevModeNeedsTheConfigSwitch(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "conf", "agent.json")
	if code, _, stderr := runCmd("enroll", "--config", cfgPath, "--server", srv.URL, "--key", enrollKey, "--quiet"); code != 0 {
		t.Fatalf("enroll: %d %s", code, stderr)
	}
	dev := t.TempDir()
	code, _, stderr := runCmd("run", "--config", cfgPath, "--plugin-dev-dir", dev)
	if code == 0 || !strings.Contains(stderr, "allowUnsignedPlugins") {
		t.Fatalf("run --plugin-dev-dir without the switch: %d %s", code, stderr)
	}
	if _, out, _ := runCmd("status", "--config", cfgPath); strings.Contains(out, "Plugin dev") {
		t.Fatalf("status of an agent outside dev mode mentions it:\n%s", out)
	}
	if err := updateConfig(cfgPath, func(c *config.Config) { c.PluginDevDir = dev }); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCmd("status", "--config", cfgPath); !strings.Contains(out, "Plugin dev: refused") {
		t.Fatalf("status with pluginDevDir but no switch:\n%s", out)
	}
	if err := updateConfig(cfgPath, func(c *config.Config) { c.AllowUnsignedPlugins = true }); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCmd("status", "--config", cfgPath); !strings.Contains(out, "Plugin dev: ON: unsigned plugins from "+dev) {
		t.Fatalf("status in dev mode:\n%s", out)
	}
}
