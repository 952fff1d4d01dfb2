package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// TestPluginCLI drives keygen, pack, install, list, enable, disable and
// remove through the real binary on a SQLite database, and checks the
// audit rows (actor "cli") including a refused unsigned install.
func TestPluginCLI(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	// A webhook plugin directory for this platform.
	dir := filepath.Join(work, "webhook")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "webhook"), "../../plugins/webhook").CombinedOutput(); err != nil {
		t.Fatalf("build webhook: %v\n%s", err, out)
	}
	raw, err := os.ReadFile("../../plugins/webhook/plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["executables"] = map[string]any{runtime.GOOS + "-" + runtime.GOARCH: map[string]any{"path": "bin/webhook", "sha256": ""}}
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(env []string, args ...string) (string, string, int) {
		t.Helper()
		return runBreeze(t, 60*time.Second, append([]string{"BREEZE_DATA_DIR=" + data}, env...), args...)
	}
	key := filepath.Join(work, "signer")
	out, stderr, code := run(nil, "plugin", "keygen", key)
	if code != 0 || !strings.Contains(out, "key id") {
		t.Fatalf("keygen: %d %q %q", code, out, stderr)
	}
	archive := filepath.Join(work, "webhook.tar.gz")
	out, stderr, code = run(nil, "plugin", "pack", dir, "--key", key+".key", "-o", archive)
	if code != 0 || !strings.Contains(out, "packed breeze.webhook 1.0.0") {
		t.Fatalf("pack: %d %q %q", code, out, stderr)
	}
	// The flags may also come first (as breeze-plugin pack takes them).
	archive2 := filepath.Join(work, "webhook2.tar.gz")
	out, stderr, code = run(nil, "plugin", "pack", "--key", key+".key", "-o", archive2, dir)
	if a, _ := os.ReadFile(archive); code != 0 || !strings.Contains(out, "packed breeze.webhook 1.0.0") || !bytes.Equal(a, mustRead(t, archive2)) {
		t.Fatalf("pack with the flags first: %d %q %q", code, out, stderr)
	}
	trusted := []string{"BREEZE_PLUGIN_TRUSTED_KEYS=" + key + ".pub"}

	// Unsigned without the switch: refused, exit 1.
	unsigned := filepath.Join(work, "unsigned.tar.gz")
	if _, err := pack.PackFile(dir, nil, unsigned); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(trusted, "plugin", "install", unsigned)
	if code != 1 || !strings.Contains(stderr, "unsigned") {
		t.Fatalf("unsigned install: %d %q", code, stderr)
	}
	out, stderr, code = run(trusted, "plugin", "install", archive)
	if code != 0 || !strings.Contains(out, "installed breeze.webhook 1.0.0") {
		t.Fatalf("install: %d %q %q", code, out, stderr)
	}
	out, _, code = run(trusted, "plugin", "list")
	if code != 0 || !strings.Contains(out, "breeze.webhook") || !strings.Contains(out, "false") {
		t.Fatalf("list: %d %q", code, out)
	}
	if out, stderr, code = run(trusted, "plugin", "enable", "breeze.webhook"); code != 0 {
		t.Fatalf("enable: %d %q %q", code, out, stderr)
	}
	out, _, _ = run(trusted, "plugin", "list")
	if !strings.Contains(out, "true") {
		t.Fatalf("list after enable: %q", out)
	}
	if _, stderr, code = run(trusted, "plugin", "disable", "breeze.webhook"); code != 0 {
		t.Fatalf("disable: %d %q", code, stderr)
	}
	if _, stderr, code = run(trusted, "plugin", "remove", "breeze.webhook"); code != 0 {
		t.Fatalf("remove: %d %q", code, stderr)
	}
	out, _, _ = run(trusted, "plugin", "list")
	if strings.Contains(out, "breeze.webhook") {
		t.Fatalf("list after remove: %q", out)
	}
	if _, stderr, code = run(trusted, "plugin", "remove", "breeze.webhook"); code != 1 {
		t.Fatalf("second remove: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "plugins", "breeze.webhook")); !os.IsNotExist(err) {
		t.Fatalf("plugin files left: %v", err)
	}

	// The audit log: one row per change, actor cli, the refusal denied.
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(data, "breeze.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Audit().List(context.Background(), domain.GlobalScope(), ports.AuditFilter{}, domain.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		r := page.Items[i]
		if r.ActorType != "cli" {
			t.Fatalf("audit row actor %q, want cli", r.ActorType)
		}
		got = append(got, r.Action+":"+string(r.Outcome))
	}
	want := []string{"plugins.install:denied", "plugins.install:success", "plugins.enable:success",
		"plugins.disable:success", "plugins.remove:success", "plugins.remove:denied"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit rows %v, want %v", got, want)
	}
	if !strings.Contains(page.Items[len(page.Items)-1].Details, `"reason":"unsigned"`) {
		t.Fatalf("refusal details = %q", page.Items[len(page.Items)-1].Details)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
