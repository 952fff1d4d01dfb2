package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/agent/config"
)

// Status exit codes: 0 enrolled and the server answers, 1 no usable
// config, 3 the server does not answer /healthz.
const exitUnreachable = 3

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("status")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the server")
	if err := e.parse(fs, args, cfgFlag, level); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Config:     %s\n", e.configPath)
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	hb := "60s (default)"
	if cfg.HeartbeatInterval > 0 {
		hb = cfg.HeartbeatInterval.String() + " (set by the server)"
	}
	enrolled := "unknown"
	if !cfg.EnrolledAt.IsZero() {
		enrolled = cfg.EnrolledAt.Format(time.RFC3339)
	}
	fmt.Fprintf(e.stdout, "Server:     %s\nDevice:     %s\nOrg:        %s\nSite:       %s\nToken:      %s\nEnrolled:   %s\nHeartbeat:  %s\n",
		cfg.ServerURL, cfg.DeviceID, cfg.OrgID, cfg.SiteID, cfg.AgentToken, enrolled, hb)
	if len(cfg.ServerURLs)+len(cfg.PushedServerURLs) > 0 {
		fmt.Fprintf(e.stdout, "Servers:    also %s (tried in turn)\n", strings.Join(append(append([]string(nil), cfg.ServerURLs...), cfg.PushedServerURLs...), ", "))
	}

	if keys := describeTrustedKeys(cfg.PluginTrustedKeys); len(keys) > 0 {
		fmt.Fprintf(e.stdout, "Plugin keys: %s\n", strings.Join(keys, "; "))
	} else if cfg.AllowUnsignedPlugins {
		fmt.Fprintf(e.stdout, "Plugin keys: none; unsigned plugins allowed (development only)\n")
	} else {
		fmt.Fprintf(e.stdout, "Plugin keys: none: every plugin is refused (breeze-agent trust-key FILE.pub)\n")
	}

	switch running := runningDevDir(cfg, e.configPath); {
	case running != "":
		fmt.Fprintf(e.stdout, "Plugin dev: ON: the running agent runs unsigned plugins from %s (development only)\n", running)
	case cfg.PluginDevDir != "" && cfg.AllowUnsignedPlugins:
		fmt.Fprintf(e.stdout, "Plugin dev: ON: unsigned plugins from %s (development only)\n", cfg.PluginDevDir)
	case cfg.PluginDevDir != "":
		fmt.Fprintf(e.stdout, "Plugin dev: refused: pluginDevDir %s is set but allowUnsignedPlugins is not (the agent will not start)\n", cfg.PluginDevDir)
	case cfg.AllowUnsignedPlugins:
		fmt.Fprintf(e.stdout, "Plugin dev: allowed (allowUnsignedPlugins); start with run --plugin-dev-dir DIR\n")
	}

	started := time.Now()
	if err := checkHealth(ctx, cfg.ServerURL, *timeout); err != nil {
		fmt.Fprintf(e.stdout, "Health:     server does not answer: %v\n", err)
		return exitCode(exitUnreachable)
	}
	fmt.Fprintf(e.stdout, "Health:     server answers /healthz (%s)\n", time.Since(started).Round(time.Millisecond))
	return nil
}

func checkHealth(ctx context.Context, server string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz answered %s", res.Status)
	}
	return nil
}
