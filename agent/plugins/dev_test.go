package plugins

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/protocol"
)

// Plugin dev mode on the agent: refused without the explicit switch; with
// it, a plugin directory runs unsigned (reported so, source "dev") without
// any server offer, replaces a server's offer of the same id, and a
// rebuild replaces the running process.
func TestDevDirRunsLocalPluginsUnsigned(t *testing.T) {
	srv := pluginstest.NewServer(t, device, token, nil)
	dev := t.TempDir()
	deps := Deps{ServerURL: srv.URL, Token: config.Secret(token), AgentVersion: "1.0.0", StateDir: t.TempDir(),
		DevDir: dev, Env: []string{fakeSystemctl(t)},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
		Supervision: func(s *pluginhost.Spec) {
			s.PingEvery = 200 * time.Millisecond
			s.MinBackoff, s.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
		}}
	if _, err := New(deps); !errors.Is(err, ErrDevModeNotAllowed) {
		t.Fatalf("dev dir without AllowUnsigned: %v", err)
	}
	pluginstest.BuildDir(t, filepath.Join(dev, "failedunits"), "failedunits", "one")
	deps.AllowUnsigned = true
	m, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	// A server offer of the same id (it would be fetched) loses to the
	// local build.
	signed := pluginstest.Cached(t, "failedunits", newKeys(t).priv)
	m.Offer([]protocol.PluginOffer{srv.Offer(signed, nil)})

	running := func(what string, ok func(protocol.PluginState, *plugin) bool) *plugin {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			m.mu.Lock()
			p := m.plugins["breeze.failedunits"]
			m.mu.Unlock()
			if p != nil && ok(p.state(), p) {
				return p
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: states %+v", what, m.States())
		return nil
	}
	first := running("the local build running", func(st protocol.PluginState, _ *plugin) bool {
		return st.State == StateRunning && st.Unsigned && st.Source == SourceDev
	})
	if n := srv.Requests("breeze.failedunits"); n != 0 {
		t.Fatalf("the server's archive was fetched %d times", n)
	}
	pluginstest.BuildDir(t, filepath.Join(dev, "failedunits"), "failedunits", "two")
	running("the rebuild running", func(st protocol.PluginState, p *plugin) bool {
		return st.State == StateRunning && p != first && p.offer.SHA256 != first.offer.SHA256 && st.Source == SourceDev
	})

	// An unsigned build the server's dev mode offers (source "dev") runs
	// on this agent in development mode and is reported as such.
	served := srv.Offer(pluginstest.Cached(t, "tcpscan", nil), nil)
	served.Source = SourceDev
	m.Offer([]protocol.PluginOffer{srv.Offer(signed, nil), served})
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := state(m, "breeze.tcpscan")
		if st.State == StateRunning && st.Unsigned && st.Source == SourceDev {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's dev offer: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
