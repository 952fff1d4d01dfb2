package pluginsapi_test

import (
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
)

// TestDowngradeAllowedKeepsSettings: a downgrade is refused with a message
// naming the way out; with ?allowDowngrade=true it installs the older
// version, keeps the org settings, and the audit row says it was one.
func TestDowngradeAllowedKeepsSettings(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	dir := func(v string) string {
		return pluginDir(t, repoRoot+"/plugins/webhook/plugin.json", "./plugins/webhook", v, nil)
	}
	code, body := e.upload(t, tok, packed(t, dir("1.2.0"), e.Key))
	mustStatus(t, "install 1.2.0", code, 201, body)
	orgA := e.Seed.A.Orgs[0]
	path := "/api/v1/plugins/breeze.webhook/orgs/" + orgA.ID
	code, _ = e.Do(t, "PUT", path, tok, map[string]any{"enabled": true, "settings": map[string]any{"url": "https://a.example/hook", "secret": "a-secret"}})
	mustStatus(t, "org settings", code, 200, nil)

	old := packed(t, dir("1.1.0"), e.Key)
	code, body = e.upload(t, tok, old)
	mustStatus(t, "downgrade without the flag", code, 400, body)
	if !strings.Contains(toJSON(body), "allow-downgrade") {
		t.Fatalf("refusal does not name the way out: %v", body)
	}
	rec := e.Request(t, "POST", "/api/v1/plugins?allowDowngrade=true", tok, old, map[string][]string{"Content-Type": {"application/gzip"}})
	body = apitest.DecodeJSON(t, rec)
	mustStatus(t, "downgrade allowed", rec.Code, 201, body)
	if body["version"] != "1.1.0" {
		t.Fatalf("after the downgrade: %v", body)
	}
	if a := e.lastAudit(t, "plugins.install"); a["_outcome"] != "success" || a["downgradedFrom"] != "1.2.0" || a["allowDowngrade"] != "true" {
		t.Fatalf("downgrade audit = %v", a)
	}
	code, body = e.Do(t, "GET", path, tok, nil)
	if s, _ := body["settings"].(map[string]any); code != 200 || s["url"] != "https://a.example/hook" || s["secret"] != "********" || body["enabled"] != true {
		t.Fatalf("org settings after the downgrade: %d %v", code, body)
	}
}

// TestMinHostVersionSkippedIsSaid: on a development build (no semver
// version) a plugin's minHostVersion cannot be checked: the install goes on
// and says so in its answer, its audit row and the log.
func TestMinHostVersionSkippedIsSaid(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	dir := pluginDir(t, repoRoot+"/plugins/webhook/plugin.json", "./plugins/webhook", "", func(m map[string]any) {
		m["minHostVersion"] = "9.0.0"
	})
	code, body := e.upload(t, tok, packed(t, dir, e.Key))
	mustStatus(t, "install", code, 201, body)
	ws, _ := body["warnings"].([]any)
	if len(ws) != 1 || !strings.Contains(ws[0].(string), "minHostVersion 9.0.0 not checked") {
		t.Fatalf("install answer warnings = %v", body["warnings"])
	}
	if a := e.lastAudit(t, "plugins.install"); !strings.Contains(a["warnings"], "minHostVersion 9.0.0") {
		t.Fatalf("install audit = %v", a)
	}
	if !strings.Contains(e.Logs.String(), "minHostVersion 9.0.0 not checked") {
		t.Fatal("the warning is not in the log")
	}
}
