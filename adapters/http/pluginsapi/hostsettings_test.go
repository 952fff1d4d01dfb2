package pluginsapi_test

import (
	"encoding/json"
	"testing"
)

// TestServerHostSettings: during an alert channel's call, Host.Settings
// answers the org's settings (secret opened, the schema's default for a
// field not set) — it answered "{}".
func TestServerHostSettings(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	dir := pluginDir(t, "testdata/hostsettings/plugin.json", "./adapters/http/pluginsapi/testdata/hostsettings", "", nil)
	code, body := e.upload(t, tok, packed(t, dir, e.Key))
	mustStatus(t, "install", code, 201, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/test.hostsettings/enable", tok, nil)
	mustStatus(t, "enable", code, 200, body)
	orgA := e.Seed.A.Orgs[0]
	code, body = e.Do(t, "PUT", "/api/v1/plugins/test.hostsettings/orgs/"+orgA.ID, tok, map[string]any{"enabled": true,
		"settings": map[string]any{"url": "https://a.example/x", "token": "t0ken"}})
	mustStatus(t, "org settings", code, 200, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/test.hostsettings/test", tok, map[string]any{"orgId": orgA.ID})
	mustStatus(t, "test", code, 200, body)
	var got map[string]any
	if err := json.Unmarshal([]byte(body["message"].(string)), &got); err != nil {
		t.Fatalf("Host.Settings answered %v: %v", body, err)
	}
	if got["url"] != "https://a.example/x" || got["token"] != "t0ken" || got["retries"] != float64(3) {
		t.Fatalf("Host.Settings = %v, want the org's settings, the secret opened, retries defaulted to 3", got)
	}
}
