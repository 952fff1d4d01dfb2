package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/files"
	"github.com/breeze-rmm/breeze/agent/remote"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/agent/terminal"
)

// stateDir is where the agent keeps its caches.
func stateDir(cfg config.Config, configPath string) string {
	if cfg.StateDir != "" {
		return cfg.StateDir
	}
	return filepath.Dir(configPath)
}

// newRemote builds the remote-work side; inventory is called for
// collect_inventory. It returns the dispatcher and the hello capabilities.
func newRemote(cfg config.Config, configPath string, log hclog.Logger, inventory func(context.Context) error) (*remote.Dispatcher, []string, error) {
	dir := stateDir(cfg, configPath)
	d := &remote.Dispatcher{}
	reg := scripts.NewRegistry(scripts.Builtin()...)
	var power commands.Power = commands.SystemPower{ConfigPath: configPath, Logger: log,
		StateFiles: []string{filepath.Join(dir, "commands.json"), filepath.Join(dir, "inventory.json")}}
	if commands.DryRunFromEnv() {
		log.Warn("power actions are recorded, not done", "env", commands.EnvDryRunPower, "record", filepath.Join(dir, "power-dry-run.log"))
		power = commands.NewDryRunPower(filepath.Join(dir, "power-dry-run.log"))
	}
	exec, err := commands.New(commands.Deps{
		StatePath: filepath.Join(dir, "commands.json"),
		Sender:    d,
		Scripts:   &scripts.Runner{Runtimes: reg},
		Inventory: inventory,
		Power:     power,
		Logger:    log,
	})
	if err != nil {
		return nil, nil, err
	}
	fm, err := files.New(files.Deps{Sender: d, Logger: log, Roots: cfg.FileRoots})
	if err != nil {
		return nil, nil, err
	}
	d.Commands, d.Files = exec, fm
	d.Terminal = terminal.New(terminal.Deps{Sender: d, Logger: log})

	caps := []string{"heartbeat", "inventory", "commands"}
	for _, name := range reg.Available() {
		caps = append(caps, "scripts:"+name)
	}
	if terminalSupported() {
		caps = append(caps, "terminal")
	}
	caps = append(caps, "files")
	return d, caps, nil
}

func terminalSupported() bool { return os.PathSeparator == '/' }
