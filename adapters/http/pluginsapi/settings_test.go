package pluginsapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// receiver is an httptest webhook endpoint that checks the HMAC header.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	bad    int
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(req.Header.Get("X-Breeze-Timestamp") + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		r.mu.Lock()
		defer r.mu.Unlock()
		if !hmac.Equal([]byte(req.Header.Get("X-Breeze-Signature")), []byte(want)) {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		r.bodies = append(r.bodies, m)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() ([]map[string]any, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...), r.bad
}

// TestWebhookEndToEnd: install, enable, per-org settings (validated,
// secret sealed at rest and masked), Test and Send through the supervised
// plugin to a receiver that verifies the HMAC signature.
func TestWebhookEndToEnd(t *testing.T) {
	// The receiver listens on loopback, which only the operator can allow.
	e := newEnv(t, envOptions{egressAllow: "127.0.0.1/32"})
	tok := e.platformToken(t)
	code, body := e.upload(t, tok, webhookArchive(t, e.Key, ""))
	mustStatus(t, "install", code, 201, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/enable", tok, nil)
	mustStatus(t, "enable", code, 200, body)
	if body["state"] != "running" || body["enabled"] != true {
		t.Fatalf("enabled plugin = %v", body)
	}
	const secret = "s3cret-hmac-key-value"
	recv := newReceiver(t, secret)
	orgA := e.Seed.A.Orgs[0]
	admin := e.Login(t, e.Seed.A.Admin.Email, e.Seed.A.Admin.Password)
	path := "/api/v1/plugins/breeze.webhook/orgs/" + orgA.ID

	// Validation against the schema.
	for _, bad := range []map[string]any{
		{"secret": "x"},                          // url required
		{"url": "ftp://nope"},                    // format uri
		{"url": recv.URL, "maxAttempts": 99},     // maximum
		{"url": recv.URL, "unknown": true},       // unknown key
		{"url": recv.URL, "timeoutSeconds": "1"}, // type
	} {
		code, body := e.Do(t, "PUT", path, admin, map[string]any{"enabled": true, "settings": bad})
		mustStatus(t, "invalid settings", code, 400, body)
	}
	code, body = e.Do(t, "PUT", path, admin, map[string]any{"enabled": true, "settings": map[string]any{"url": recv.URL, "secret": secret, "maxAttempts": 1}})
	mustStatus(t, "put settings", code, 200, body)
	if s, _ := body["settings"].(map[string]any); s["secret"] != "********" || s["url"] != recv.URL || body["enabled"] != true {
		t.Fatalf("put answer = %v (secret must be masked)", body)
	}
	if a := e.lastAudit(t, "plugins.orgs.put"); a["_outcome"] != "success" || a["_org"] != orgA.ID || a["_resource"] != "breeze.webhook" {
		t.Fatalf("settings audit = %v", a)
	}
	// At rest: sealed, no plaintext in the raw row.
	row, err := e.Store.Plugins().GetOrg(context.Background(), domain.GlobalScope(), "breeze.webhook", orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(row.Settings), secret) || !strings.Contains(string(row.Settings), `"$sealed"`) {
		t.Fatalf("stored settings hold the secret in clear: %s", row.Settings)
	}
	// "********" keeps the stored secret.
	code, body = e.Do(t, "PUT", path, admin, map[string]any{"enabled": true, "settings": map[string]any{"url": recv.URL, "secret": "********", "maxAttempts": 1}})
	mustStatus(t, "put masked", code, 200, body)
	code, body = e.Do(t, "GET", "/api/v1/plugins/breeze.webhook/orgs", admin, nil)
	mustStatus(t, "list orgs", code, 200, body)
	if items, _ := body["items"].([]any); len(items) != 1 || !strings.Contains(toJSON(items), `"secret":"********"`) {
		t.Fatalf("list orgs = %v", body)
	}

	// Test through the supervisor: the receiver verifies the signature.
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", admin, map[string]any{"orgId": orgA.ID})
	mustStatus(t, "test", code, 200, body)
	if body["ok"] != true {
		t.Fatalf("test answer = %v", body)
	}
	got, bad := recv.got()
	if bad != 0 || len(got) != 1 || got[0]["test"] != true {
		t.Fatalf("receiver got %v (bad signatures %d)", got, bad)
	}
	// Send (the alerting pipeline's call).
	res, err := e.Svc.Send(context.Background(), "breeze.webhook", ports.Notification{
		ID: "alert-1", OrgID: orgA.ID, Severity: "critical", Title: "Disk full", Message: "/ at 99%", OccurredAt: time.Now().UTC(),
	})
	if err != nil || !res.Delivered {
		t.Fatalf("send = %+v, %v", res, err)
	}
	got, bad = recv.got()
	if bad != 0 || len(got) != 2 || got[1]["title"] != "Disk full" || got[1]["orgId"] != orgA.ID {
		t.Fatalf("receiver got %v (bad signatures %d)", got, bad)
	}
	// A wrong secret is refused by the receiver: Test says so.
	code, _ = e.Do(t, "PUT", path, admin, map[string]any{"enabled": true, "settings": map[string]any{"url": recv.URL, "secret": "wrong", "maxAttempts": 1}})
	mustStatus(t, "put wrong secret", code, 200, nil)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", admin, map[string]any{"orgId": orgA.ID})
	if code != 200 || body["ok"] != false {
		t.Fatalf("test with a wrong secret = %d %v", code, body)
	}
}

// TestSettingsIsolation: partner B's admin neither sees nor changes
// partner A's org settings (404), and a refused write changes nothing.
func TestSettingsIsolation(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	code, body := e.upload(t, tok, webhookArchive(t, e.Key, ""))
	mustStatus(t, "install", code, 201, body)
	orgA := e.Seed.A.Orgs[0]
	adminA := e.Login(t, e.Seed.A.Admin.Email, e.Seed.A.Admin.Password)
	adminB := e.Login(t, e.Seed.B.Admin.Email, e.Seed.B.Admin.Password)
	path := "/api/v1/plugins/breeze.webhook/orgs/" + orgA.ID
	code, _ = e.Do(t, "PUT", path, adminA, map[string]any{"enabled": true, "settings": map[string]any{"url": "https://a.example/hook", "secret": "a-secret"}})
	mustStatus(t, "A puts", code, 200, nil)

	code, body = e.Do(t, "GET", path, adminB, nil)
	mustStatus(t, "B reads A's org", code, 404, body)
	code, body = e.Do(t, "PUT", path, adminB, map[string]any{"enabled": false, "settings": map[string]any{"url": "https://b.example/steal"}})
	mustStatus(t, "B writes A's org", code, 404, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", adminB, map[string]any{"orgId": orgA.ID})
	mustStatus(t, "B tests A's org", code, 404, body)
	code, body = e.Do(t, "GET", "/api/v1/plugins/breeze.webhook/orgs", adminB, nil)
	if items, _ := body["items"].([]any); code != 200 || len(items) != 0 {
		t.Fatalf("B lists A's rows: %d %v", code, body)
	}
	if a := e.lastAudit(t, "plugins.orgs.put"); a["_outcome"] != "denied" {
		t.Fatalf("refused write audit = %v", a)
	}
	code, body = e.Do(t, "GET", path, adminA, nil)
	if s, _ := body["settings"].(map[string]any); code != 200 || s["url"] != "https://a.example/hook" || body["enabled"] != true {
		t.Fatalf("A's row after B's attempts: %d %v", code, body)
	}
	// An org-level user of A (Org Admin lacks plugins:manage): 403.
	orgAdmin := e.NewUser(t, domain.RoleOrgAdmin, e.Seed.A.OrgUnit(0), "")
	oa := e.Login(t, orgAdmin.Email, orgAdmin.Password)
	code, _ = e.Do(t, "GET", path, oa, nil)
	mustStatus(t, "org admin", code, 403, nil)
}

// TestPluginCrashVisible: a server-side plugin that exits on every call is
// restarted; GET /plugins shows restarts and the last error; the server
// stays healthy.
func TestPluginCrashVisible(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	dir := pluginDir(t, "testdata/crashy/plugin.json", "./adapters/http/pluginsapi/testdata/crashy", "", nil)
	code, body := e.upload(t, tok, packed(t, dir, e.Key))
	mustStatus(t, "install crashy", code, 201, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/test.crashy/enable", tok, nil)
	mustStatus(t, "enable crashy", code, 200, body)
	orgA := e.Seed.A.Orgs[0]
	code, _ = e.Do(t, "PUT", "/api/v1/plugins/test.crashy/orgs/"+orgA.ID, tok, map[string]any{"enabled": true})
	mustStatus(t, "enable for org", code, 200, nil)
	code, body = e.Do(t, "POST", "/api/v1/plugins/test.crashy/test", tok, map[string]any{"orgId": orgA.ID})
	if code != 200 || body["ok"] != false {
		t.Fatalf("test of a crashing plugin = %d %v", code, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body = e.Do(t, "GET", "/api/v1/plugins/test.crashy", tok, nil)
		restarts, _ := body["restarts"].(float64)
		if code == 200 && restarts >= 1 && body["lastError"] != "" && body["state"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("crash not visible / not restarted: %d %v", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := e.Do(t, "GET", "/healthz", "", nil); code != 200 {
		t.Fatalf("healthz = %d after a plugin crash", code)
	}
	code, body = e.Do(t, "POST", "/api/v1/plugins/test.crashy/disable", tok, nil)
	if code != 200 || body["state"] != "disabled" {
		t.Fatalf("disable = %d %v", code, body)
	}
}

// TestAgentOffersAndArchive: an agent-side plugin enabled globally and for
// the device's org is offered (with the org's settings), pushed on change,
// and its archive downloads only for devices it is offered to.
func TestAgentOffersAndArchive(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.RequireAgents(t)
	tok := e.platformToken(t)
	archive := packed(t, pluginDir(t, repoRoot+"/plugins/failedunits/plugin.json", "./plugins/failedunits", "", nil), e.Key)
	code, body := e.upload(t, tok, archive)
	mustStatus(t, "install collector", code, 201, body)
	if body["side"] != "agent" {
		t.Fatalf("collector side = %v", body["side"])
	}
	devA, tokA := e.NewDevice(t, e.Seed.A, 0, "host-a")
	devB, tokB := e.NewDevice(t, e.Seed.B, 0, "host-b")
	archivePath := func(dev string) string { return "/api/v1/agents/" + dev + "/plugins/breeze.failedunits/archive" }

	offers, err := e.Svc.OffersFor(context.Background(), devA)
	if err != nil || len(offers) != 0 {
		t.Fatalf("offers before enabling: %v %v", offers, err)
	}
	code, _ = e.Do(t, "POST", "/api/v1/plugins/breeze.failedunits/enable", tok, nil)
	mustStatus(t, "enable", code, 200, nil)
	code, _ = e.Do(t, "PUT", "/api/v1/plugins/breeze.failedunits/orgs/"+e.Seed.A.Orgs[0].ID, tok, map[string]any{"enabled": true})
	mustStatus(t, "enable for org A1", code, 200, nil)
	if e.Pushed.count(devA) == 0 || e.Pushed.count(devB) != 0 {
		t.Fatalf("pushes: A %d, B %d (want A only)", e.Pushed.count(devA), e.Pushed.count(devB))
	}
	frame, _ := e.Pushed.last(devA).(protocol.Plugins)
	if frame.Type != protocol.TypePlugins || len(frame.Plugins) != 1 || frame.Plugins[0].ID != "breeze.failedunits" {
		t.Fatalf("pushed frame = %+v", e.Pushed.last(devA))
	}
	offers, err = e.Svc.OffersFor(context.Background(), devA)
	sum := sha256.Sum256(archive)
	if err != nil || len(offers) != 1 || offers[0].SHA256 != hex.EncodeToString(sum[:]) || offers[0].Size != int64(len(archive)) ||
		offers[0].ArchivePath != archivePath(devA) || offers[0].Kind != "collector" {
		t.Fatalf("offers = %+v, %v", offers, err)
	}

	rec := e.Request(t, "GET", archivePath(devA), tokA, nil, nil)
	if rec.Code != 200 || rec.Header().Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) || rec.Body.Len() != len(archive) {
		t.Fatalf("archive download: %d %v (%d bytes)", rec.Code, rec.Header(), rec.Body.Len())
	}
	if rec := e.Request(t, "GET", archivePath(devB), tokB, nil, nil); rec.Code != 404 {
		t.Fatalf("device of another org downloads: %d", rec.Code)
	}
	if rec := e.Request(t, "GET", archivePath(devA), tokB, nil, nil); rec.Code != 401 {
		t.Fatalf("another device's token on A's path: %d", rec.Code)
	}
	if rec := e.Request(t, "GET", archivePath(devA), tok, nil, nil); rec.Code != 401 {
		t.Fatalf("a user token on the agent route: %d", rec.Code)
	}
	// Disabled globally: withdrawn (an empty push) and no longer served.
	code, _ = e.Do(t, "POST", "/api/v1/plugins/breeze.failedunits/disable", tok, nil)
	mustStatus(t, "disable", code, 200, nil)
	if frame, _ := e.Pushed.last(devA).(protocol.Plugins); len(frame.Plugins) != 0 {
		t.Fatalf("push after disable = %+v", frame)
	}
	if rec := e.Request(t, "GET", archivePath(devA), tokA, nil, nil); rec.Code != 404 {
		t.Fatalf("archive of a disabled plugin: %d", rec.Code)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
