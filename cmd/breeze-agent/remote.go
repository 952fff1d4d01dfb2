package main

import (
	"context"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/files"
	"github.com/breeze-rmm/breeze/agent/remote"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/agent/terminal"
	"github.com/breeze-rmm/breeze/protocol"
)

// stateDir is where the agent keeps its caches: the configured one, else
// the config file's directory, made absolute (a relative --config, as
// `make run` uses, must not depend on the working directory later).
func stateDir(cfg config.Config, configPath string) string {
	if cfg.StateDir != "" {
		return cfg.StateDir
	}
	dir := filepath.Dir(configPath)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// remoteDeps are what the remote-work side needs: inventory is called for
// collect_inventory, discover for discover (scanner plugins).
type remoteDeps struct {
	cfg        config.Config
	configPath string
	log        hclog.Logger
	scripts    *scripts.Registry
	inventory  func(context.Context) error
	discover   func(context.Context, protocol.DiscoverPayload) (any, string, error)
	// discoverPages runs a streaming discover (pages sent as they fill).
	discoverPages func(context.Context, protocol.DiscoverPayload,
		func(context.Context, []protocol.DiscoverAsset, int) error) (protocol.DiscoverCounts, error)
}

// remoteSide is the dispatcher and the hello capabilities (asked at each
// hello: plugin script languages come and go).
type remoteSide struct {
	d    *remote.Dispatcher
	caps func() []string
}

func newRemote(rd remoteDeps) (remoteSide, error) {
	dir := stateDir(rd.cfg, rd.configPath)
	d := &remote.Dispatcher{}
	var power commands.Power = commands.SystemPower{ConfigPath: rd.configPath, Logger: rd.log,
		StateFiles: []string{filepath.Join(dir, "commands.json"), filepath.Join(dir, "inventory.json")}}
	if commands.DryRunFromEnv() {
		rd.log.Warn("power actions are recorded, not done", "env", commands.EnvDryRunPower, "record", filepath.Join(dir, "power-dry-run.log"))
		power = commands.NewDryRunPower(filepath.Join(dir, "power-dry-run.log"))
	}
	exec, err := commands.New(commands.Deps{
		StatePath:     filepath.Join(dir, "commands.json"),
		Sender:        d,
		Scripts:       &scripts.Runner{Runtimes: rd.scripts},
		Inventory:     rd.inventory,
		Discover:      rd.discover,
		DiscoverPages: rd.discoverPages,
		Power:         power,
		Logger:        rd.log,
	})
	if err != nil {
		return remoteSide{}, err
	}
	fm, err := files.New(files.Deps{Sender: d, Logger: rd.log, Roots: rd.cfg.FileRoots})
	if err != nil {
		return remoteSide{}, err
	}
	d.Commands, d.Files = exec, fm
	d.Terminal = terminal.New(terminal.Deps{Sender: d, Logger: rd.log})

	caps := func() []string {
		out := []string{"heartbeat", "inventory", "commands"}
		for _, name := range rd.scripts.Available() {
			out = append(out, "scripts:"+name)
		}
		if terminal.Supported() {
			out = append(out, "terminal")
		}
		return append(out, "files", "plugins")
	}
	return remoteSide{d: d, caps: caps}, nil
}
