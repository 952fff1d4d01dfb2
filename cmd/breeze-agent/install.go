package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/service"
)

func cmdInstall(ctx context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("install")
	dryRun := fs.Bool("dry-run", false, "print the service definition and the steps; change nothing")
	if err := e.parse(fs, args, cfgFlag, level); err != nil {
		return err
	}
	if !*dryRun {
		// A service without a config would only crash-loop.
		if _, err := config.Load(e.configPath); err != nil {
			return fmt.Errorf("enroll before installing the service: %w", err)
		}
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	return service.New().Install(ctx, service.Options{
		BinaryPath: bin,
		ConfigPath: e.configPath,
		DryRun:     *dryRun,
		Out:        e.stdout,
		Logger:     e.log,
	})
}
