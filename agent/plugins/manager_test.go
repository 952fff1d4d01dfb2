package plugins

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

const (
	device = "0190c0de-0000-7000-8000-0000000000aa"
	token  = "brz_plugins_test_token"
)

type keys struct {
	pub   ed25519.PublicKey
	priv  ed25519.PrivateKey
	other ed25519.PrivateKey
}

func newKeys(t *testing.T) keys {
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := pack.GenerateKey()
	return keys{pub, priv, other}
}

// fakeSystemctl makes failedunits see two failed units, whatever this
// machine runs.
func fakeSystemctl(t *testing.T) string {
	dir := t.TempDir()
	script := "#!/bin/sh\necho '[{\"unit\":\"a.service\"},{\"unit\":\"b.service\"}]'\n"
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + dir + ":/usr/bin:/bin"
}

func newManager(t *testing.T, srv *pluginstest.Server, trusted []ed25519.PublicKey, stateDir string, reg *scripts.Registry) *Manager {
	t.Helper()
	m, err := New(Deps{
		ServerURL: srv.URL, Token: config.Secret(token), AgentVersion: "1.0.0", StateDir: stateDir,
		TrustedKeys: trusted, Scripts: reg, Env: []string{fakeSystemctl(t)},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
		Supervision: func(s *pluginhost.Spec) {
			s.PingEvery = 200 * time.Millisecond
			s.MinBackoff, s.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stopAll)
	return m
}

func state(m *Manager, id string) protocol.PluginState {
	for _, s := range m.States() {
		if s.ID == id {
			return s
		}
	}
	return protocol.PluginState{}
}

// Refused archives report failed with the reason; nothing is installed or run.
func TestRefusedArchives(t *testing.T) {
	k := newKeys(t)
	srv := pluginstest.NewServer(t, device, token, nil)
	signed := pluginstest.Cached(t, "failedunits", k.priv)
	cases := []struct {
		name    string
		offer   func() protocol.PluginOffer
		trusted []ed25519.PublicKey
		want    error
	}{
		{"archive hash mismatch", func() protocol.PluginOffer {
			return srv.Offer(signed, append(append([]byte(nil), signed.Data...), 0))
		}, []ed25519.PublicKey{k.pub}, ErrArchiveHash},
		{"tampered executable", func() protocol.PluginOffer {
			return srv.Offer(pluginstest.Tamper(t, signed), nil)
		}, []ed25519.PublicKey{k.pub}, pack.ErrHashMismatch},
		{"unsigned", func() protocol.PluginOffer {
			return srv.Offer(pluginstest.Cached(t, "failedunits", nil), nil)
		}, []ed25519.PublicKey{k.pub}, pack.ErrUnsigned},
		{"unknown key", func() protocol.PluginOffer {
			return srv.Offer(pluginstest.Cached(t, "failedunits", k.other), nil)
		}, []ed25519.PublicKey{k.pub}, pack.ErrUntrustedKey},
		{"no trusted keys", func() protocol.PluginOffer { return srv.Offer(signed, nil) }, nil, ErrNoTrustedKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, srv, c.trusted, dir, nil)
			o := c.offer()
			m.Sync(context.Background(), []protocol.PluginOffer{o})
			st := state(m, o.ID)
			if st.State != StateFailed || st.Error == "" {
				t.Fatalf("state = %+v", st)
			}
			m.mu.Lock()
			p := m.plugins[o.ID]
			m.mu.Unlock()
			if p.sup != nil || !p.refused || !strings.Contains(st.Error, c.want.Error()) {
				t.Fatalf("plugin %+v, want refused with %v", st, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "plugins", o.ID, o.Version)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("refused plugin left installed: %v", err)
			}
			// The same offer again is not downloaded again.
			n := srv.Requests(o.ID)
			m.Sync(context.Background(), []protocol.PluginOffer{o})
			if srv.Requests(o.ID) != n {
				t.Error("a refused offer was fetched again")
			}
		})
	}
	t.Run("malformed offers", func(t *testing.T) {
		m := newManager(t, srv, []ed25519.PublicKey{k.pub}, t.TempDir(), nil)
		good := srv.Offer(signed, nil)
		bad := []protocol.PluginOffer{
			{ID: "../etc", Version: "1.0.0", Kind: "collector", SHA256: signed.SHA256, ArchivePath: good.ArchivePath},
			{ID: "acme.a", Version: "1.0.0/..", Kind: "collector", SHA256: signed.SHA256, ArchivePath: good.ArchivePath},
			{ID: "acme.b", Version: "1.0.0", Kind: "alert_channel", SHA256: signed.SHA256, ArchivePath: good.ArchivePath},
			{ID: "acme.c", Version: "1.0.0", Kind: "collector", SHA256: signed.SHA256, ArchivePath: "https://evil.example/x"},
			{ID: "acme.d", Version: "1.0.0", Kind: "collector", SHA256: signed.SHA256, ArchivePath: "//evil.example/x"},
			{ID: "acme.e", Version: "1.0.0", Kind: "collector", SHA256: "nope", ArchivePath: good.ArchivePath},
		}
		before := srv.Requests(signed.ID)
		m.Sync(context.Background(), bad)
		for _, st := range m.States() {
			if st.State != StateFailed || st.Error == "" {
				t.Errorf("%+v", st)
			}
		}
		if len(m.States()) != len(bad) || srv.Requests(signed.ID) != before {
			t.Fatalf("states %+v, requests %d", m.States(), srv.Requests(signed.ID))
		}
	})
}

// The three first-party agent plugins, signed, are downloaded, verified and
// run; each kind does its job; a withdrawn offer stops its process.
func TestPluginsRunAndWithdraw(t *testing.T) {
	k := newKeys(t)
	srv := pluginstest.NewServer(t, device, token, nil)
	var offers []protocol.PluginOffer
	for _, name := range []string{"failedunits", "luarun", "tcpscan"} {
		offers = append(offers, srv.Offer(pluginstest.Cached(t, name, k.priv), nil))
	}
	dir := t.TempDir()
	reg := scripts.NewRegistry(scripts.Builtin()...)
	m := newManager(t, srv, []ed25519.PublicKey{k.pub}, dir, reg)
	ctx := context.Background()
	m.Sync(ctx, offers)
	for _, o := range offers {
		if st := state(m, o.ID); st.State != StateRunning || st.Error != "" {
			t.Fatalf("%s: %+v", o.ID, st)
		}
		fi, err := os.Stat(filepath.Join(dir, "plugins", o.ID, o.Version))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s installed as %v %v", o.ID, fi, err)
		}
	}

	// Collector: metrics and facts, tagged with the plugin.
	mt := m.Metrics(ctx)
	if len(mt) != 1 || mt[0].Plugin != "breeze.failedunits" || mt[0].Name != "systemd.failed_units" || mt[0].Value != 2 {
		t.Fatalf("metrics = %+v", mt)
	}
	facts := m.Facts(ctx)
	if !slices.Contains(facts, protocol.PluginFact{Plugin: "breeze.failedunits", Key: "systemd.failed_units", Value: "a.service,b.service"}) {
		t.Fatalf("facts = %+v", facts)
	}

	// Runtime: lua is a language now, and runs through the plugin.
	if !slices.Contains(reg.Available(), "lua") {
		t.Fatalf("languages = %v", reg.Available())
	}
	res, err := (&scripts.Runner{Runtimes: reg}).Run(ctx, scripts.Spec{Language: "lua", Body: `print("hi " .. arg[1] .. " " .. os.getenv("WHO")) os.exit(3)`,
		Args: []string{"there"}, Env: map[string]string{"WHO": "lua"}, Timeout: 10 * time.Second})
	if err != nil || res.ExitCode == nil || *res.ExitCode != 3 || res.Stdout != "hi there lua\n" {
		t.Fatalf("lua: %+v %v", res, err)
	}

	// Scanner: finds an open port on a local listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	assets, _, err := m.Discover(ctx, protocol.DiscoverPayload{Plugin: "breeze.tcpscan", Targets: []string{"127.0.0.1/32"}, Ports: []int{port}})
	if err != nil || len(assets) != 1 || assets[0].IP != "127.0.0.1" || !slices.Contains(assets[0].OpenPorts, port) {
		t.Fatalf("discover: %+v %v", assets, err)
	}
	for _, id := range []string{"breeze.luarun", "breeze.nope"} {
		if _, _, err := m.Discover(ctx, protocol.DiscoverPayload{Plugin: id, Targets: []string{"127.0.0.1"}}); !errors.Is(err, ErrNotScanner) {
			t.Fatalf("discover with %s: %v", id, err)
		}
	}

	// The same offers again change nothing (same processes, no downloads).
	pids := map[string]int{}
	for _, o := range offers {
		pids[o.ID] = m.running(o.ID).sup.Status().PID
	}
	m.Sync(ctx, offers)
	for _, o := range offers {
		if pid := m.running(o.ID).sup.Status().PID; pid != pids[o.ID] || srv.Requests(o.ID) != 1 {
			t.Fatalf("%s restarted or fetched again: pid %d→%d, %d requests", o.ID, pids[o.ID], pid, srv.Requests(o.ID))
		}
	}

	// Withdraw luarun and tcpscan: their processes end, lua is gone, files too.
	m.Sync(ctx, offers[:1])
	for _, o := range offers[1:] {
		if err := waitGone(pids[o.ID]); err != nil {
			t.Fatalf("%s: %v", o.ID, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "plugins", o.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s files left: %v", o.ID, err)
		}
	}
	if slices.Contains(reg.Available(), "lua") || len(m.States()) != 1 {
		t.Fatalf("after withdrawal: languages %v states %+v", reg.Available(), m.States())
	}

	// A restarted agent reuses the verified install without downloading.
	m.stopAll()
	if err := waitGone(pids["breeze.failedunits"]); err != nil {
		t.Fatal(err)
	}
	m2 := newManager(t, srv, []ed25519.PublicKey{k.pub}, dir, nil)
	m2.Sync(ctx, offers[:1])
	if st := state(m2, offers[0].ID); st.State != StateRunning || srv.Requests(offers[0].ID) != 1 {
		t.Fatalf("restart: %+v, %d requests", st, srv.Requests(offers[0].ID))
	}
}

// waitGone waits until pid no longer exists.
func waitGone(pid int) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("process still there")
}

// A plugin refused for want of a trusted key runs once its key is trusted,
// without a new offer or a restart (breeze-agent trust-key on a running agent).
func TestTrustingAKeyRetriesRefusedPlugins(t *testing.T) {
	k := newKeys(t)
	srv := pluginstest.NewServer(t, device, token, nil)
	signed := pluginstest.Cached(t, "failedunits", k.priv)
	m := newManager(t, srv, nil, t.TempDir(), nil)
	o := srv.Offer(signed, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	synced := m.Synced()
	m.Offer([]protocol.PluginOffer{o})
	<-synced
	if st := state(m, o.ID); st.State != StateFailed || !strings.Contains(st.Error, ErrNoTrustedKeys.Error()) {
		t.Fatalf("before trusting: %+v", st)
	}
	synced = m.Synced()
	m.SetTrustedKeys([]ed25519.PublicKey{k.pub})
	<-synced
	if st := state(m, o.ID); st.State != StateRunning {
		t.Fatalf("after trusting its key: %+v", st)
	}
	// Dropping the key stops nothing that runs (it was verified at start).
	synced = m.Synced()
	m.SetTrustedKeys(nil)
	<-synced
	if st := state(m, o.ID); st.State != StateRunning {
		t.Fatalf("after dropping the key: %+v", st)
	}
}
