package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/update"
	"github.com/breeze-rmm/breeze/protocol"
)

// buildFault is set only by tests' builds (-X main.buildFault=nolink): an
// agent built with "nolink" never reaches its server, the build an update
// must roll back from (test/e2e).
var buildFault string

// errRestart ends run when the agent must start again on its executable
// (an update installed, or rolled back).
var errRestart = errors.New("restart requested")

// restarter ends the running agent so main can start the executable again.
type restarter struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	reason string
}

// request asks for a restart: now if the agent runs, at its start if not.
func (r *restarter) request(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reason == "" {
		r.reason = reason
	}
	if r.cancel != nil {
		r.cancel()
	}
}

// wrap returns ctx cancelled on a restart request.
func (r *restarter) wrap(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancel = cancel
	if r.reason != "" {
		cancel()
	}
	return ctx
}

func (r *restarter) requested() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// newUpdater wires the self-update on the agent's link and remote side.
func newUpdater(cfg config.Config, configPath, dir string, server func() string, send func(context.Context, any) error,
	restart func(string), log hclog.Logger) (*update.Manager, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locate the agent executable: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	// The keys as the config says now (trust-release-key may have added one).
	keys := func() []ed25519.PublicKey {
		list := cfg.ReleaseKeys
		if c, err := config.Load(configPath); err == nil {
			list = c.ReleaseKeys
		}
		var out []ed25519.PublicKey
		for _, k := range list {
			if pk, err := protocol.ParseReleaseKey(k); err == nil {
				out = append(out, pk)
			}
		}
		return out
	}
	client := &http.Client{Timeout: 10 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return errors.New("update download redirected: refused")
	}}
	fetch := func(ctx context.Context, path string) (io.ReadCloser, error) {
		if !strings.HasPrefix(path, "/api/v1/agents/") || strings.Contains(path, "..") {
			return nil, fmt.Errorf("%w: binary path %q is not an agent route", update.ErrRefused, protocol.Abbrev(path, 80))
		}
		u, err := url.JoinPath(server(), path)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+cfg.AgentToken.Reveal())
		req.Header.Set("User-Agent", "breeze-agent/"+Version)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("server answered %s", resp.Status)
		}
		return resp.Body, nil
	}
	probe := func(ctx context.Context, path string) (string, error) {
		out, err := exec.CommandContext(ctx, path, "version").Output()
		return string(out), err
	}
	return update.New(update.Deps{
		Exe: exe, StateDir: dir, Version: Version, OS: runtime.GOOS, Arch: runtime.GOARCH,
		Keys: keys, Fetch: fetch, Send: send, Restart: restart, Probe: probe, Trial: cfg.UpdateTrial, Logger: log.Named("update"),
	})
}
