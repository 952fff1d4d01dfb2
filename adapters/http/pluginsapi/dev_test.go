package pluginsapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// devDir writes an agent-side plugin directory as an author's build holds
// it: plugin.json without hashes, the executable next to it.
func devDir(t *testing.T, root, id, binary string) string {
	t.Helper()
	dir := filepath.Join(root, id)
	plat := manifest.Platform()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "c"), []byte(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	m := `{"id":"` + id + `","name":"Mine","version":"0.1.0","kind":"collector","apiVersions":[1],` +
		`"executables":{"` + plat + `":{"path":"bin/c"}}}`
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Plugin dev mode's load: an unsigned directory is installed (uploads stay
// refused unsigned), enabled, marked unsigned and "dev" in the API and
// audited as plugins.dev_load by the system; a rebuild of the same version
// replaces it in place (its files stay); the watcher picks up a rebuild
// on its own.
func TestDevLoadMarksAndReplaces(t *testing.T) {
	e := newEnv(t, envOptions{devMode: true})
	root := t.TempDir()
	dir := devDir(t, root, "acme.mine", "#!/bin/true\nbuild one")
	p, err := e.Svc.LoadDev(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Unsigned || p.Source != plugins.SourceDev || !p.Enabled || p.Version != "0.1.0" {
		t.Fatalf("loaded %+v", p)
	}
	a := e.lastAudit(t, "plugins.dev_load")
	if a["_outcome"] != "success" || a["_actor"] != "system" || a["source"] != "dev" || a["unsigned"] != "true" || a["_resource"] != "acme.mine" {
		t.Fatalf("audit %v", a)
	}
	tok := e.platformToken(t)
	rec := e.Request(t, http.MethodGet, "/api/v1/plugins/acme.mine", tok, nil, nil)
	body := apitest.DecodeJSON(t, rec)
	if body["unsigned"] != true || body["source"] != "dev" || body["signedBy"] != "unsigned (development)" {
		t.Fatalf("API view %v", body)
	}

	// The same version rebuilt replaces it, and its files stay in place.
	if err := os.WriteFile(filepath.Join(dir, "bin", "c"), []byte("#!/bin/true\nbuild two"), 0o755); err != nil {
		t.Fatal(err)
	}
	q, err := e.Svc.LoadDev(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if q.SHA256 == p.SHA256 || !q.Enabled {
		t.Fatalf("rebuild: %+v (was %s)", q, p.SHA256)
	}
	if _, err := os.Stat(filepath.Join(e.Svc.Root(), "acme.mine", "0.1.0", "archive.tar.gz")); err != nil {
		t.Fatalf("the rebuilt version's files are gone: %v", err)
	}
	if a := e.lastAudit(t, "plugins.dev_load"); a["replaced"] != "0.1.0" {
		t.Fatalf("audit of the rebuild %v", a)
	}

	// An author's switch is kept across rebuilds.
	if rec := e.Request(t, http.MethodPost, "/api/v1/plugins/acme.mine/disable", tok, nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "c"), []byte("#!/bin/true\nbuild three"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r, err := e.Svc.LoadDev(t.Context(), dir); err != nil || r.Enabled {
		t.Fatalf("rebuild of a disabled plugin: %+v %v", r, err)
	}

	// The watcher loads a new directory and a rebuild within its poll.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.Svc.WatchDev(ctx, root, 50*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	other := devDir(t, root, "acme.other", "#!/bin/true\nv1")
	waitPlugin := func(id string, ok func(*plugins.Plugin) bool) *plugins.Plugin {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if p, err := e.Svc.Get(t.Context(), id); err == nil && ok(p) {
				return p
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s never matched", id)
		return nil
	}
	v1 := waitPlugin("acme.other", func(p *plugins.Plugin) bool { return p.Source == plugins.SourceDev })
	later := time.Now().Add(2 * time.Second)
	if err := os.WriteFile(filepath.Join(other, "bin", "c"), []byte("#!/bin/true\nv2"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(filepath.Join(other, "bin", "c"), later, later)
	waitPlugin("acme.other", func(p *plugins.Plugin) bool { return p.SHA256 != v1.SHA256 })
}

// An unsigned plugin left installed on a server that is neither in dev
// mode nor allowing unsigned plugins is not offered to agents and shows
// why; in dev mode it is offered like any plugin.
func TestUnsignedPluginRunsOnlyInDevelopment(t *testing.T) {
	for _, dev := range []bool{true, false} {
		e := newEnv(t, envOptions{devMode: dev})
		e.RequireAgents(t)
		if _, err := e.Svc.LoadDev(t.Context(), devDir(t, t.TempDir(), "acme.mine", "#!/bin/true\n")); err != nil {
			t.Fatal(err)
		}
		tok := e.platformToken(t)
		devA, _ := e.NewDevice(t, e.Seed.A, 0, "host-a")
		code, _ := e.Do(t, "PUT", "/api/v1/plugins/acme.mine/orgs/"+e.Seed.A.Orgs[0].ID, tok, map[string]any{"enabled": true})
		mustStatus(t, "enable for org A1", code, 200, nil)
		offers, err := e.Svc.OffersFor(t.Context(), devA)
		if err != nil {
			t.Fatal(err)
		}
		_, view := e.Do(t, "GET", "/api/v1/plugins/acme.mine", tok, nil)
		if dev && (len(offers) != 1 || offers[0].Source != "dev" || view["state"] != "enabled") {
			t.Fatalf("dev mode: offers %+v, view %v", offers, view)
		}
		if !dev && (len(offers) != 0 || view["state"] != "failed" || !strings.Contains(view["lastError"].(string), "BREEZE_PLUGIN_DEV_DIR")) {
			t.Fatalf("outside dev mode: offers %+v, view %v", offers, view)
		}
	}
}
