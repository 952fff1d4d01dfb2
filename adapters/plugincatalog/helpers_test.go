package plugincatalog_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/plugincatalog"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	core "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// packPlugin packs a real signed collector (a small script stands in for
// the binary: agent-side plugins are not run by the server) into dir.
func packPlugin(t testing.TB, dir, id, version string, key ed25519.PrivateKey) string {
	t.Helper()
	return packPluginFor(t, dir, id, version, "", key)
}

// packPluginFor is packPlugin of a version needing Breeze minHost or newer.
func packPluginFor(t testing.TB, dir, id, version, minHost string, key ed25519.PrivateKey) string {
	t.Helper()
	src := t.TempDir()
	min := ""
	if minHost != "" {
		min = fmt.Sprintf(`"minHostVersion":%q,`, minHost)
	}
	m := fmt.Sprintf(`{"id":%q,"name":"Plugin %s","version":%q,"kind":"collector","description":"collects %s things",%s
		"apiVersions":[1],"executables":{"linux-amd64":{"path":"bin/x"},"linux-arm64":{"path":"bin/x"},"darwin-arm64":{"path":"bin/x"},"windows-amd64":{"path":"bin/x"}}}`,
		id, id, version, id, min)
	if err := os.WriteFile(filepath.Join(src, "plugin.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(src, "bin", "x"), []byte("#!/bin/sh\necho "+id+" "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, id+"-"+version+".tar.gz")
	if _, err := pack.PackFile(src, key, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// packManifest packs a plugin.json as given (its executables all "bin/x").
func packManifest(t testing.TB, dir, id, version, manifestJSON string, key ed25519.PrivateKey) string {
	t.Helper()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "plugin.json"), []byte(manifestJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(src, "bin", "x"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, id+"-"+version+".tar.gz")
	if _, err := pack.PackFile(src, key, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// catalogServer serves a directory over HTTPS (a local CA), with hooks to
// change an answer.
type catalogServer struct {
	*httptest.Server
	Dir string
	mu  sync.Mutex
	// override answers a path instead of the file (nil: the file).
	override map[string][]byte
}

func newCatalogServer(t testing.TB) *catalogServer {
	cs := &catalogServer{Dir: t.TempDir(), override: map[string][]byte{}}
	files := http.FileServer(http.Dir(cs.Dir))
	cs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		body, ok := cs.override[r.URL.Path]
		cs.mu.Unlock()
		if ok {
			_, _ = w.Write(body)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *catalogServer) set(path string, body []byte) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if body == nil {
		delete(cs.override, path)
		return
	}
	cs.override[path] = body
}

// publish builds and signs the index of cs.Dir's archives with key.
func (cs *catalogServer) publish(t testing.TB, key ed25519.PrivateKey, publishers ...ed25519.PublicKey) {
	t.Helper()
	index, sig, err := catalog.Build(cs.Dir, catalog.BuildOptions{Key: key, BaseURL: cs.URL, Name: "test catalog", Publishers: publishers})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cs.Dir, catalog.IndexFile), index, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cs.Dir, catalog.SignatureFile), sig, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (cs *catalogServer) indexURL() string { return cs.URL + "/" + catalog.IndexFile }

// roots trusts the test servers' certificate.
func roots(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// env is the server side: a real SQLite store, the ordinary install path
// (Packages reading the database's keys), the catalog service, and a
// Source whose egress policy allows 127.0.0.1 only when asked.
type env struct {
	Store   ports.Store
	Plugins *plugins.Service
	Svc     *core.Service
	Source  *plugincatalog.Source
}

type envOptions struct {
	allowLoopback bool
	tls           *tls.Config
	clock         ports.Clock
	hostVersion   string
	// store shares another env's database (a second node of a cluster).
	store ports.Store
	// postgres: a fresh PostgreSQL database instead of SQLite.
	postgres bool
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	dataDir := t.TempDir()
	st := o.store
	if st == nil {
		st = newStore(t, o.postgres, dataDir)
	}
	pk := &pluginserver.Packages{DBKeys: st.PluginKeys(), HostVersion: o.hostVersion}
	box, err := secretbox.Open("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	psvc, err := plugins.New(plugins.Deps{Store: st, Packages: pk, Sealer: box, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	var allow []netip.Prefix
	if o.allowLoopback {
		allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	src := plugincatalog.New(plugincatalog.Options{Egress: egress.Policy{Allow: allow}, TLS: o.tls, Version: "test"})
	svc, err := core.New(core.Deps{Store: st, Source: src, Installer: psvc, Trust: pk, Clock: o.clock, HostVersion: o.hostVersion})
	if err != nil {
		t.Fatal(err)
	}
	return &env{Store: st, Plugins: psvc, Svc: svc, Source: src}
}

// newStore is a migrated store of its own: SQLite in dir, or a fresh
// PostgreSQL database (BREEZE_TEST_POSTGRES_URL).
func newStore(t testing.TB, pg bool, dir string) ports.Store {
	t.Helper()
	ctx := context.Background()
	if pg {
		st, err := postgres.Open(ctx, postgres.Options{URL: pgtest.NewDatabase(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "breeze.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// stores runs fn against SQLite and PostgreSQL.
func stores(t *testing.T, fn func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("postgres", func(t *testing.T) { fn(t, true) })
}
