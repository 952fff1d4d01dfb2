package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/breeze-rmm/breeze/agent/collect"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/inventory"
	"github.com/breeze-rmm/breeze/agent/link"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("run")
	if err := e.parse(fs, args, cfgFlag, level); err != nil {
		return err
	}
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	sampler := collect.New(collect.Options{Logger: e.log})
	sampler.Prime(ctx)
	l, err := link.New(link.Options{
		ServerURL:      cfg.ServerURL,
		DeviceID:       cfg.DeviceID,
		Token:          cfg.AgentToken,
		AgentVersion:   Version,
		Logger:         e.log,
		Sampler:        sampler,
		Inventory:      inventory.NewCollector(inventory.Options{Logger: e.log}),
		InventoryStore: inventory.FileStore{Path: filepath.Join(filepath.Dir(e.configPath), "inventory.json")},
		Heartbeat:      cfg.HeartbeatInterval,
		OnInterval: func(d time.Duration) {
			// Cache the server's cadence so a restart while offline keeps it.
			cfg.HeartbeatInterval = d
			if err := config.Save(e.configPath, cfg); err != nil {
				e.log.Warn("cannot cache the heartbeat interval in the config", "error", err)
			}
		},
	})
	if err != nil {
		return err
	}
	e.log.Info("agent starting", "version", Version, "server", cfg.ServerURL, "device", cfg.DeviceID, "config", e.configPath)
	err = l.Run(ctx)
	e.log.Info("agent stopped")
	return err
}
