package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// fakeRuntime records what the node's loop starts and stops.
type fakeRuntime struct {
	mu      sync.Mutex
	running map[string]string
}

func (f *fakeRuntime) Start(_ context.Context, spec plugins.RunSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[spec.ID] = spec.Version
	return nil
}

func (f *fakeRuntime) Stop(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.running, id)
	return nil
}

func (f *fakeRuntime) Status(id string) (plugins.RunStatus, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.running[id]; ok {
		return plugins.RunStatus{State: "running"}, true
	}
	return plugins.RunStatus{}, false
}

func (f *fakeRuntime) Notifier(string) (ports.Notifier, error) { return nil, nil }
func (f *fakeRuntime) StopAll(context.Context) error           { return nil }
func (f *fakeRuntime) Running() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.running {
		out[k] = v
	}
	return out
}

// TestCLIChangeReachesRunningNodeWithoutBus: a plugin installed and
// enabled by another process on the same database (the CLI, without
// Redis) starts on the running node within seconds, not at the minute's
// reconcile; a disable stops it the same way.
func TestCLIChangeReachesRunningNodeWithoutBus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dataDir := t.TempDir()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dataDir, "breeze.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.Open("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	newSvc := func(rt plugins.Runtime) *plugins.Service {
		svc, err := plugins.New(plugins.Deps{Store: st, Packages: &pluginserver.Packages{Trusted: []ed25519.PublicKey{pub}},
			Runtime: rt, Sealer: box, DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	rt := &fakeRuntime{running: map[string]string{}}
	bus := memory.NewBus(memory.BusOptions{})
	defer bus.Close()
	node := &Plugins{Service: newSvc(rt), bus: bus, log: hclog.NewNullLogger()}
	nctx, stop := context.WithCancel(ctx)
	node.Start(nctx)
	defer func() { stop(); <-node.done }()

	// The CLI: its own service on the same database, no bus to reach.
	cli := newSvc(nil)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "ch"), []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(map[string]any{"id": "acme.ch", "name": "Ch", "version": "1.0.0", "kind": "alert_channel", "apiVersions": []int{1},
		"executables": map[string]any{runtime.GOOS + "-" + runtime.GOARCH: map[string]any{"path": "bin/ch", "sha256": ""}}})
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), m, 0o644); err != nil {
		t.Fatal(err)
	}
	var archive bytes.Buffer
	if _, err := pack.Pack(dir, priv, &archive); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Install(ctx, domain.GlobalScope(), plugins.InstallOptions{By: "cli"}, &archive); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Enable(ctx, domain.GlobalScope(), "acme.ch"); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(pluginsCheckEvery + 3*time.Second) // far below the minute's reconcile
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("the running node did not %s within %s", what, pluginsCheckEvery+3*time.Second)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("start the plugin the CLI enabled", func() bool { return rt.Running()["acme.ch"] == "1.0.0" })
	if _, err := cli.Disable(ctx, domain.GlobalScope(), "acme.ch"); err != nil {
		t.Fatal(err)
	}
	waitFor("stop the plugin the CLI disabled", func() bool { _, on := rt.Running()["acme.ch"]; return !on })
}
