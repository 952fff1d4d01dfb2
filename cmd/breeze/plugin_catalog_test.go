package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCatalogCommands drives the catalog commands as an operator would:
// build a catalog of a packed plugin, subscribe, search, be refused until
// the publisher is trusted, install, upgrade to a newly published version.
// Plain http on loopback with the development setting (the HTTPS path is
// adapters/plugincatalog's tests).
func TestCatalogCommands(t *testing.T) {
	work := t.TempDir()
	pub := filepath.Join(work, "pub")
	_ = os.MkdirAll(pub, 0o755)
	srv := httptest.NewServer(http.FileServer(http.Dir(pub)))
	defer srv.Close()
	env := []string{"BREEZE_DATA_DIR=" + filepath.Join(work, "data"), "BREEZE_PLUGIN_CATALOG_ALLOW_HTTP=1", "BREEZE_PLUGIN_EGRESS_ALLOW=127.0.0.1"}
	run := func(want int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runBreeze(t, 60*time.Second, env, args...)
		if code != want {
			t.Fatalf("breeze %s: exit %d (want %d)\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	run(0, "plugin", "keygen", filepath.Join(work, "cat"))
	run(0, "plugin", "keygen", filepath.Join(work, "acme"))
	packVersion := func(v string) {
		src := filepath.Join(work, "src-"+v)
		_ = os.MkdirAll(filepath.Join(src, "bin"), 0o755)
		m := `{"id":"acme.cli","name":"CLI","version":"` + v + `","kind":"collector","apiVersions":[1],"executables":{"linux-amd64":{"path":"bin/x"}}}`
		_ = os.WriteFile(filepath.Join(src, "plugin.json"), []byte(m), 0o644)
		_ = os.WriteFile(filepath.Join(src, "bin", "x"), []byte("#!/bin/sh\n"), 0o755)
		run(0, "plugin", "pack", src, "--key", filepath.Join(work, "acme.key"), "-o", filepath.Join(pub, "acme.cli-"+v+".tar.gz"))
		run(0, "plugin", "catalog", "build", pub, "--key", filepath.Join(work, "cat.key"), "--base-url", srv.URL, "--allow-http",
			"--publisher", filepath.Join(work, "acme.pub"))
	}
	packVersion("1.0.0")

	out := run(0, "plugin", "catalog", "add", "acme", srv.URL+"/index.json", "--key", filepath.Join(work, "cat.pub"))
	if !strings.Contains(out, "acme synced: 1 plugin\n") {
		t.Fatalf("catalog add: %s", out)
	}
	out = run(0, "plugin", "search", "cli")
	if !strings.Contains(out, "acme.cli") || !strings.Contains(out, "(untrusted)") {
		t.Fatalf("search: %s", out)
	}
	out = run(1, "plugin", "install", "acme.cli")
	if !strings.Contains(out, "untrusted_key") || !strings.Contains(out, "breeze plugin trust") {
		t.Fatalf("install from an untrusted publisher: %s", out)
	}
	out = run(0, "plugin", "trust", filepath.Join(work, "acme.pub"), "--name", "Acme")
	if !strings.Contains(out, "fingerprint") {
		t.Fatalf("trust: %s", out)
	}
	if out = run(0, "plugin", "keys"); !strings.Contains(out, "Acme") {
		t.Fatalf("keys: %s", out)
	}
	if out = run(0, "plugin", "install", "acme.cli@1.0.0"); !strings.Contains(out, "installed acme.cli 1.0.0 from a catalog") {
		t.Fatalf("install: %s", out)
	}
	if out = run(0, "plugin", "upgrade"); !strings.Contains(out, "up to date") {
		t.Fatalf("upgrade with nothing newer: %s", out)
	}
	packVersion("1.1.0")
	run(0, "plugin", "catalog", "sync", "acme")
	if out = run(0, "plugin", "upgrade"); !strings.Contains(out, "installed acme.cli 1.1.0") {
		t.Fatalf("upgrade: %s", out)
	}
	if out = run(0, "plugin", "catalog", "list"); !strings.Contains(out, srv.URL) {
		t.Fatalf("catalog list: %s", out)
	}
	run(0, "plugin", "catalog", "remove", "acme")
	run(0, "plugin", "untrust", strings.Fields(strings.Split(run(0, "plugin", "keys"), "\n")[1])[0])
}
