package server

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/updatesapi"
	"github.com/breeze-rmm/breeze/core/app/updates"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Updates is the agents' self-update: releases, rollouts, the tick every
// node runs, the update_result handler and the link-up offers.
type Updates struct {
	Service *updates.Service
	done    chan struct{}
}

// BuildUpdates wires self-update on st and rw's relay and router (call it
// before the hub serves).
func BuildUpdates(cfg *config.Config, st ports.Store, rw *Remote, log hclog.Logger) (*Updates, error) {
	var keys []ed25519.PublicKey
	for _, k := range cfg.ReleaseKeyList() {
		pk, err := protocol.ParseReleaseKey(k)
		if err != nil {
			return nil, fmt.Errorf("BREEZE_RELEASE_KEYS: %w", err)
		}
		keys = append(keys, pk)
	}
	svc, err := updates.New(updates.Deps{Store: st, Agents: rw.Relay, Clock: ports.ClockFunc(time.Now), Logger: log.Named("updates"),
		ReleaseKeys: keys, CacheDir: filepath.Join(cfg.DataDir, "cache", "agent-builds")})
	if err != nil {
		return nil, err
	}
	rw.Router.Handle(protocol.TypeUpdateResult, svc.FromAgent)
	rw.Router.OnLinkUp(svc.OnLinkUp)
	return &Updates{Service: svc}, nil
}

// Register adds the REST routes.
func (u *Updates) Register(srv *httpapi.Server) {
	updatesapi.Register(srv, updatesapi.Deps{Updates: u.Service})
}

// Start runs the rollout tick until ctx ends.
func (u *Updates) Start(ctx context.Context) {
	u.done = make(chan struct{})
	go func() { defer close(u.done); u.Service.Run(ctx) }()
}

// Stop waits for the tick loop to end (after its ctx is cancelled).
func (u *Updates) Stop() {
	if u.done != nil {
		<-u.done
	}
}
