package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/service"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("run")
	devDir := fs.String("plugin-dev-dir", "", "DEVELOPMENT ONLY: run the plugin directories in DIR unsigned and reload them when rebuilt "+
		"(needs \"allowUnsignedPlugins\": true in the config; overrides its pluginDevDir)")
	if err := e.parse(fs, args, cfgFlag, level); err != nil {
		return err
	}
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	if *devDir != "" {
		cfg.PluginDevDir = *devDir
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newAgent(ctx, cfg, e.configPath, e.log)
	if err != nil {
		return err
	}
	// Started by the Windows service manager: it stops the agent, not a signal.
	if handled, err := service.RunService(a.run); handled {
		if errors.Is(err, errRestart) {
			return restartSelf()
		}
		return err
	}
	err = a.run(ctx)
	if errors.Is(err, errRestart) {
		return restartSelf() // returns only when it failed
	}
	return err
}
