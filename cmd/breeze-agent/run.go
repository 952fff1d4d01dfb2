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
	var l *link.Link // collect_inventory asks the link, built below
	rm, caps, err := newRemote(cfg, e.configPath, e.log, func(ctx context.Context) error { return l.SendFullInventory(ctx) })
	if err != nil {
		return err
	}
	defer rm.Close() // after Run: end terminals and transfers, wait for commands
	l, err = link.New(link.Options{
		ServerURL:      cfg.ServerURL,
		DeviceID:       cfg.DeviceID,
		Token:          cfg.AgentToken,
		AgentVersion:   Version,
		Logger:         e.log,
		Sampler:        sampler,
		Inventory:      inventory.NewCollector(inventory.Options{Logger: e.log}),
		InventoryStore: inventory.FileStore{Path: filepath.Join(stateDir(cfg, e.configPath), "inventory.json")},
		Capabilities:   caps,
		Remote:         rm,
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
	e.log.Info("agent starting", "version", Version, "server", cfg.ServerURL, "device", cfg.DeviceID, "config", e.configPath, "capabilities", caps)
	err = l.Run(ctx)
	e.log.Info("agent stopped")
	return err
}
