package pluginsapi_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

func TestInstallListAndFiles(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	archive := webhookArchive(t, e.Key, "")
	code, body := e.upload(t, tok, archive)
	mustStatus(t, "install", code, 201, body)
	keyID := pack.KeyID(e.Key.Public().(ed25519.PublicKey))
	if body["id"] != "breeze.webhook" || body["side"] != "server" || body["signedBy"] != keyID ||
		body["state"] != "disabled" || body["enabled"] != false || body["kind"] != "alert_channel" {
		t.Fatalf("installed plugin = %v", body)
	}
	sum := sha256.Sum256(archive)
	if body["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("sha256 %v, want the archive's", body["sha256"])
	}
	if schema, _ := body["settingsSchema"].(map[string]any); schema["type"] != "object" {
		t.Fatalf("settingsSchema = %v", body["settingsSchema"])
	}
	dir := filepath.Join(e.DataDir, "plugins", "breeze.webhook", "1.0.0")
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("version dir %s: %v %v", dir, err, fi)
	}
	kept, err := os.ReadFile(filepath.Join(dir, "archive.tar.gz"))
	if err != nil || !bytes.Equal(kept, archive) {
		t.Fatalf("archive not kept as uploaded: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "root", "bin", "webhook")); err != nil {
		t.Fatalf("executable not unpacked: %v", err)
	}
	a := e.lastAudit(t, "plugins.install")
	if a["_outcome"] != "success" || a["_resource"] != "breeze.webhook" || a["version"] != "1.0.0" || a["_actor"] != "user" {
		t.Fatalf("install audit = %v", a)
	}
	code, list := e.Do(t, "GET", "/api/v1/plugins", tok, nil)
	mustStatus(t, "list", code, 200, list)
	if items, _ := list["items"].([]any); len(items) != 1 {
		t.Fatalf("list = %v", list)
	}
	// A Partner Admin reads the list but installs nothing.
	admin := e.Login(t, e.Seed.A.Admin.Email, e.Seed.A.Admin.Password)
	code, _ = e.Do(t, "GET", "/api/v1/plugins/breeze.webhook", admin, nil)
	mustStatus(t, "partner admin get", code, 200, nil)
	code, body = e.upload(t, admin, webhookArchive(t, e.Key, "2.0.0"))
	mustStatus(t, "partner admin install", code, 403, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/enable", admin, nil)
	mustStatus(t, "partner admin enable", code, 403, body)
	code, body = e.Do(t, "DELETE", "/api/v1/plugins/breeze.webhook", admin, nil)
	mustStatus(t, "partner admin remove", code, 403, body)

	// Upgrade, then remove.
	code, body = e.upload(t, tok, webhookArchive(t, e.Key, "1.1.0"))
	mustStatus(t, "upgrade", code, 201, body)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the old version's files stayed: %v", err)
	}
	code, body = e.Do(t, "DELETE", "/api/v1/plugins/breeze.webhook", tok, nil)
	mustStatus(t, "remove", code, 204, body)
	if _, err := os.Stat(filepath.Join(e.DataDir, "plugins", "breeze.webhook")); !os.IsNotExist(err) {
		t.Fatalf("files stayed after remove: %v", err)
	}
	code, _ = e.Do(t, "GET", "/api/v1/plugins/breeze.webhook", tok, nil)
	mustStatus(t, "get removed", code, 404, nil)
	if a := e.lastAudit(t, "plugins.remove"); a["_outcome"] != "success" || a["_resource"] != "breeze.webhook" {
		t.Fatalf("remove audit = %v", a)
	}
}

// TestInstallRefusals: each refusal answers 4xx, installs nothing and is
// audited (denied) with its reason.
func TestInstallRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	_, stranger, _ := pack.GenerateKey()
	webhookDir := func(version string) string {
		return pluginDir(t, repoRoot+"/plugins/webhook/plugin.json", "./plugins/webhook", version, nil)
	}

	tampered := func() []byte {
		dir := webhookDir("1.0.0")
		if _, err := pack.SignDir(dir, e.Key); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "bin", "webhook"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("evil"))
		f.Close()
		var buf bytes.Buffer
		if err := (&pluginserver.Packages{}).ArchiveDir(context.Background(), dir, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}

	cases := []struct {
		name    string
		archive []byte
		status  int
		reason  string
	}{
		{"tampered executable", tampered(), 400, "hash_mismatch"},
		{"unsigned", packed(t, webhookDir("1.0.0"), nil), 400, "unsigned"},
		{"unknown key", packed(t, webhookDir("1.0.0"), stranger), 400, "untrusted_key"},
		{"dotdot in manifest path", dotdotManifest(t, e.Key), 400, "unsafe_path"},
		{"dotdot tar entry", dotdotEntry(t), 400, "unsafe_path"},
		{"not an archive", []byte("hello"), 400, "invalid_archive"},
	}
	for _, c := range cases {
		code, body := e.upload(t, tok, c.archive)
		mustStatus(t, c.name, code, c.status, body)
		a := e.lastAudit(t, "plugins.install")
		if a["_outcome"] != "denied" || a["reason"] != c.reason {
			t.Fatalf("%s: audit %v, want denied with reason %s", c.name, a, c.reason)
		}
	}
	code, list := e.Do(t, "GET", "/api/v1/plugins", tok, nil)
	if items, _ := list["items"].([]any); code != 200 || len(items) != 0 {
		t.Fatalf("refused installs left plugins: %v", list)
	}
	entries, _ := os.ReadDir(filepath.Join(e.DataDir, "plugins"))
	for _, en := range entries {
		t.Fatalf("refused installs left %s in the plugin directory", en.Name())
	}

	// Downgrade and the same version again.
	code, body := e.upload(t, tok, packed(t, webhookDir("1.2.0"), e.Key))
	mustStatus(t, "install 1.2.0", code, 201, body)
	code, body = e.upload(t, tok, packed(t, webhookDir("1.1.0"), e.Key))
	mustStatus(t, "downgrade", code, 400, body)
	if a := e.lastAudit(t, "plugins.install"); a["_outcome"] != "denied" || a["reason"] != "downgrade" || a["version"] != "1.1.0" {
		t.Fatalf("downgrade audit = %v", a)
	}
	code, body = e.upload(t, tok, packed(t, webhookDir("1.2.0"), e.Key))
	mustStatus(t, "same version", code, 409, body)
	if a := e.lastAudit(t, "plugins.install"); a["_outcome"] != "denied" || a["reason"] != "same_version" {
		t.Fatalf("same version audit = %v", a)
	}
	code, got := e.Do(t, "GET", "/api/v1/plugins/breeze.webhook", tok, nil)
	if code != 200 || got["version"] != "1.2.0" {
		t.Fatalf("after refusals: %d %v", code, got)
	}
}

func TestInstallUnsignedUnderDevelopmentSwitch(t *testing.T) {
	e := newEnv(t, envOptions{allowUnsigned: true})
	code, body := e.upload(t, e.platformToken(t), webhookArchive(t, nil, ""))
	mustStatus(t, "unsigned install", code, 201, body)
	if body["signedBy"] != "unsigned (development)" {
		t.Fatalf("signedBy = %v", body["signedBy"])
	}
	// A present signature is still checked.
	_, stranger, _ := pack.GenerateKey()
	code, body = e.upload(t, e.platformToken(t), webhookArchive(t, stranger, "2.0.0"))
	mustStatus(t, "unknown key under the switch", code, 400, body)
}

// dotdotManifest is a correctly signed archive whose manifest points an
// executable outside the plugin directory.
func dotdotManifest(t testing.TB, key ed25519.PrivateKey) []byte {
	m := map[string]any{
		"id": "evil.dotdot", "name": "Evil", "version": "1.0.0", "kind": "alert_channel", "apiVersions": []int{1},
		"executables": map[string]any{runtime.GOOS + "-" + runtime.GOARCH: map[string]any{
			"path": "../../outside", "sha256": hex.EncodeToString(make([]byte, 32))}},
	}
	raw, _ := json.Marshal(m)
	sig, err := pack.Sign(raw, key)
	if err != nil {
		t.Fatal(err)
	}
	return tarGz(t, map[string][]byte{"plugin.json": raw, pack.SignatureFile: sig})
}

// dotdotEntry is an archive with an entry escaping the directory.
func dotdotEntry(t testing.TB) []byte {
	return tarGz(t, map[string][]byte{"../escape": []byte("x"), "plugin.json": []byte("{}")})
}

func tarGz(t testing.TB, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"../escape", "plugin.json", pack.SignatureFile} {
		data, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}
