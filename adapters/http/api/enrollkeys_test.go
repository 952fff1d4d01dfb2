package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

const keysPath = api.Prefix + "/enrollment-keys"

func TestEnrollmentKeyMintListRevoke(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{PublicURL: "https://rmm.example.test"})
	ts.RequireAgents(t)
	a := ts.Seed.A
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)

	code, body := ts.Do(t, http.MethodPost, keysPath, tok, map[string]any{
		"siteId": a.Sites[0].ID, "orgId": a.Orgs[0].ID, "name": "HQ rollout", "maxUses": 3,
	})
	if code != http.StatusCreated {
		t.Fatalf("mint: %d %v", code, body)
	}
	key, _ := body["key"].(string)
	id, _ := body["id"].(string)
	if !strings.HasPrefix(key, "bek_") || len(key) < 4+22 || !strings.HasPrefix(key, body["prefix"].(string)) {
		t.Fatalf("key %q prefix %v", key, body["prefix"])
	}
	if body["maxUses"] != float64(3) || body["uses"] != float64(0) || body["usable"] != true ||
		body["orgId"] != a.Orgs[0].ID || body["partnerId"] != a.Partner.ID {
		t.Fatalf("answer %v", body)
	}
	exp, _ := time.Parse(time.RFC3339, body["expiresAt"].(string))
	if d := exp.Sub(ts.Clock.Now()); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("default expiry in %s, want 7 days", d)
	}
	cmd, _ := body["installCommand"].(string)
	for _, want := range []string{
		"curl -fsSL 'https://rmm.example.test/downloads/breeze-agent-linux-'",
		"BREEZE_ENROLLMENT_KEY='" + key + "' ",
		"enroll --server 'https://rmm.example.test'",
		"install",
	} {
		if !strings.Contains(cmd, want) {
			t.Errorf("install command lacks %q:\n%s", want, cmd)
		}
	}
	if strings.Contains(cmd, "--key ") {
		t.Errorf("the key must not be an argument: %s", cmd)
	}
	// Only its hash is stored.
	stored, err := ts.AgentStore.EnrollmentKeys().Get(context.Background(), domain.GlobalScope(), id)
	if err != nil || stored.KeyHash == "" || strings.Contains(stored.KeyHash, key) || stored.KeyHash == key {
		t.Fatalf("stored %+v %v", stored, err)
	}

	// The list never shows the secret again.
	rec := ts.Request(t, http.MethodGet, keysPath, tok, nil, nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), key) || !strings.Contains(rec.Body.String(), id) {
		t.Fatalf("list: %d %s", rec.Code, rec.Body.String())
	}
	if code, got := ts.Do(t, http.MethodGet, keysPath+"/"+id, tok, nil); code != http.StatusOK || got["key"] != nil {
		t.Fatalf("get: %d %v", code, got)
	}

	// Revoke (twice: idempotent).
	for i := 0; i < 2; i++ {
		if code, body := ts.Do(t, http.MethodDelete, keysPath+"/"+id, tok, nil); code != http.StatusNoContent {
			t.Fatalf("revoke: %d %v", code, body)
		}
	}
	if _, got := ts.Do(t, http.MethodGet, keysPath+"/"+id, tok, nil); got["usable"] != false || got["revokedAt"] == nil {
		t.Fatalf("after revoke: %v", got)
	}

	// Audited: mint and revoke, attributed and scoped.
	var mint, revoke int
	for _, e := range ts.AuditRows(t) {
		switch e.Action {
		case "enrollment-keys.create":
			mint++
			if e.ResourceID != id || e.OrgID != a.Orgs[0].ID || e.Outcome != domain.OutcomeSuccess || e.ActorID != a.Admin.ID {
				t.Errorf("mint row %+v", e)
			}
			if strings.Contains(e.Details, key) {
				t.Errorf("the key leaked into the audit log")
			}
		case "enrollment-keys.delete":
			revoke++
			if e.ResourceID != id || e.OrgID != a.Orgs[0].ID {
				t.Errorf("revoke row %+v", e)
			}
		}
	}
	if mint != 1 || revoke != 2 {
		t.Errorf("audit rows: %d mint, %d revoke", mint, revoke)
	}
}

func TestEnrollmentKeyRules(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	a, b := ts.Seed.A, ts.Seed.B
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	past := ts.Clock.Now().Add(-time.Minute)
	far := ts.Clock.Now().Add(400 * 24 * time.Hour)
	for name, tc := range map[string]struct {
		body map[string]any
		code int
	}{
		"no site":              {map[string]any{}, http.StatusBadRequest},
		"foreign site":         {map[string]any{"siteId": b.Sites[0].ID}, http.StatusNotFound},
		"unknown site":         {map[string]any{"siteId": domain.NewID()}, http.StatusNotFound},
		"site of other org":    {map[string]any{"siteId": a.Sites[0].ID, "orgId": a.Orgs[1].ID}, http.StatusBadRequest},
		"expired":              {map[string]any{"siteId": a.Sites[0].ID, "expiresAt": past}, http.StatusBadRequest},
		"too far":              {map[string]any{"siteId": a.Sites[0].ID, "expiresAt": far}, http.StatusBadRequest},
		"negative uses":        {map[string]any{"siteId": a.Sites[0].ID, "maxUses": -1}, http.StatusBadRequest},
		"unknown field":        {map[string]any{"siteId": a.Sites[0].ID, "secret": "x"}, http.StatusBadRequest},
		"foreign group":        {map[string]any{"siteId": a.Sites[0].ID, "deviceGroupId": domain.NewID()}, http.StatusNotFound},
		"control char in name": {map[string]any{"siteId": a.Sites[0].ID, "name": "a\x00b"}, http.StatusBadRequest},
	} {
		code, body := ts.Do(t, http.MethodPost, keysPath, tok, tc.body)
		// A missing group may be reported as not found or invalid; both write nothing.
		if code != tc.code && !(name == "foreign group" && code == http.StatusBadRequest) {
			t.Errorf("%s: %d %v, want %d", name, code, body, tc.code)
		}
	}
	page, err := ts.AgentStore.EnrollmentKeys().List(context.Background(), domain.GlobalScope(), domain.PageRequest{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("refused mints stored keys: %v %v", page.Items, err)
	}

	// B cannot see, revoke or use A's keys; a viewer cannot mint or list.
	key := ts.MintEnrollKey(t, tok, a.Sites[0].ID)
	_ = key
	page, _ = ts.AgentStore.EnrollmentKeys().List(context.Background(), domain.GlobalScope(), domain.PageRequest{})
	id := page.Items[0].ID
	btok := ts.Login(t, b.Admin.Email, b.Admin.Password)
	if code, _ := ts.Do(t, http.MethodGet, keysPath+"/"+id, btok, nil); code != http.StatusNotFound {
		t.Errorf("B reads A's key: %d", code)
	}
	if code, _ := ts.Do(t, http.MethodDelete, keysPath+"/"+id, btok, nil); code != http.StatusNotFound {
		t.Errorf("B revokes A's key: %d", code)
	}
	if rec := ts.Request(t, http.MethodGet, keysPath, btok, nil, nil); strings.Contains(rec.Body.String(), id) {
		t.Errorf("B lists A's key")
	}
	viewer := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	vtok := ts.Login(t, viewer.Email, viewer.Password)
	if code, _ := ts.Do(t, http.MethodGet, keysPath, vtok, nil); code != http.StatusForbidden {
		t.Errorf("viewer lists keys: %d", code)
	}
	if code, _ := ts.Do(t, http.MethodPost, keysPath, vtok, map[string]any{"siteId": a.Sites[0].ID}); code != http.StatusForbidden {
		t.Errorf("viewer mints: %d", code)
	}
	// A site technician mints only for their site.
	tech := ts.NewUser(t, domain.RoleOrgTechnician, a.SiteUnit(1), "")
	ttok := ts.Login(t, tech.Email, tech.Password)
	if code, _ := ts.Do(t, http.MethodPost, keysPath, ttok, map[string]any{"siteId": a.Sites[0].ID}); code != http.StatusNotFound {
		t.Errorf("site technician mints for another site: %d", code)
	}
	if code, body := ts.Do(t, http.MethodPost, keysPath, ttok, map[string]any{"siteId": a.Sites[1].ID}); code != http.StatusCreated {
		t.Errorf("site technician mints for their site: %d %v", code, body)
	}
}

func enrollReq(key string) protocol.EnrollRequest {
	return protocol.EnrollRequest{EnrollmentKey: key, Hostname: "web-01", OS: "linux", Arch: "amd64", AgentVersion: "1.2.3"}
}

func TestEnroll(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
			ts.RequireAgents(t)
			a := ts.Seed.A
			tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
			key := ts.MintEnrollKey(t, tok, a.Sites[0].ID)

			// Unknown fields are ignored (the protocol grows without a version bump).
			body := map[string]any{"enrollmentKey": key, "hostname": "web-01", "os": "linux", "arch": "amd64",
				"agentVersion": "1.2.3", "futureField": true}
			rec := ts.RequestFrom(t, "192.0.2.10", http.MethodPost, protocol.EnrollPath, "", body)
			if rec.Code != http.StatusCreated {
				t.Fatalf("enroll: %d %s", rec.Code, rec.Body.String())
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("the token answer may be cached")
			}
			out := apitest.DecodeJSON(t, rec)
			token, _ := out["agentToken"].(string)
			devID, _ := out["deviceId"].(string)
			if !strings.HasPrefix(token, "brz_") || len(token) != 4+43 || out["orgId"] != a.Orgs[0].ID || out["siteId"] != a.Sites[0].ID {
				t.Fatalf("answer %v", out)
			}
			ctx := context.Background()
			d, err := ts.Store.Devices().Get(ctx, domain.GlobalScope(), devID)
			if err != nil || d.Status != domain.DevicePending || d.Hostname != "web-01" || d.OS != "linux" ||
				d.Arch != "amd64" || d.AgentVersion != "1.2.3" || d.SiteID != a.Sites[0].ID || d.PartnerID != a.Partner.ID {
				t.Fatalf("device %+v %v", d, err)
			}
			// The token works for its device, through its hash only.
			if id, err := ts.Agents.AuthenticateAgent(ctx, token, devID); err != nil || id != devID {
				t.Fatalf("token: %q %v", id, err)
			}
			// Audited as the new agent, in its org.
			var found bool
			for _, e := range ts.AuditRows(t) {
				if e.Action == "agents.enroll" && e.Outcome == domain.OutcomeSuccess {
					found = true
					if e.ActorType != "agent" || e.ActorID != devID || e.ResourceID != devID || e.OrgID != a.Orgs[0].ID ||
						e.IP != "192.0.2.10" || strings.Contains(e.Details, key) || strings.Contains(e.Details, token) {
						t.Errorf("audit row %+v", e)
					}
				}
			}
			if !found {
				t.Error("no audit row for the enrollment")
			}
		})
	}
}

// Expired, used-up, revoked and unknown keys answer the very same 401.
func TestEnrollRefusesUnusableKeysAlike(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	a := ts.Seed.A
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	ctx := context.Background()

	mint := func(body map[string]any) (string, string) {
		body["siteId"] = a.Sites[0].ID
		code, out := ts.Do(t, http.MethodPost, keysPath, tok, body)
		if code != http.StatusCreated {
			t.Fatalf("mint: %d %v", code, out)
		}
		return out["key"].(string), out["id"].(string)
	}
	usedUp, _ := mint(map[string]any{"maxUses": 1})
	ts.Enroll(t, usedUp, "first")
	revoked, revokedID := mint(map[string]any{})
	if code, _ := ts.Do(t, http.MethodDelete, keysPath+"/"+revokedID, tok, nil); code != http.StatusNoContent {
		t.Fatal("revoke failed")
	}
	expiring, _ := mint(map[string]any{"expiresAt": ts.Clock.Now().Add(time.Hour)})
	ts.Clock.Advance(2 * time.Hour)

	var bodies []string
	for name, key := range map[string]string{
		"used up": usedUp, "revoked": revoked, "expired": expiring,
		"unknown":   "bek_" + strings.Repeat("A", 43),
		"malformed": "not-a-key",
		"empty":     "",
	} {
		rec := ts.RequestFrom(t, "198.51.100.7", http.MethodPost, protocol.EnrollPath, "", enrollReq(key))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
		bodies = append(bodies, rec.Body.String())
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answers differ: %s vs %s", b, bodies[0])
		}
	}
	// Nothing was created but the one good enrollment.
	page, err := ts.Store.Devices().List(ctx, domain.GlobalScope(), ports.DeviceFilter{}, domain.PageRequest{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("devices: %d %v", len(page.Items), err)
	}
	denied := 0
	for _, e := range ts.AuditRows(t) {
		if e.Action == "agents.enroll" && e.Outcome == domain.OutcomeDenied {
			denied++
		}
	}
	if denied != 6 {
		t.Errorf("%d denied enrollments audited, want 6", denied)
	}
}

func TestEnrollIsLimitedPerAddress(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{EnrollLimit: ports.Limit{N: 3, Window: 10 * time.Minute}}})
	ts.RequireAgents(t)
	bad := enrollReq("bek_" + strings.Repeat("B", 43))
	for i := 0; i < 3; i++ {
		if rec := ts.RequestFrom(t, "203.0.113.5", http.MethodPost, protocol.EnrollPath, "", bad); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	rec := ts.RequestFrom(t, "203.0.113.5", http.MethodPost, protocol.EnrollPath, "", bad)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("4th attempt: %d %v", rec.Code, rec.Header())
	}
	// Even a good key waits: the limit comes before the key.
	tok := ts.Login(t, ts.Seed.A.Admin.Email, ts.Seed.A.Admin.Password)
	good := ts.MintEnrollKey(t, tok, ts.Seed.A.Sites[0].ID)
	if rec := ts.RequestFrom(t, "203.0.113.5", http.MethodPost, protocol.EnrollPath, "", enrollReq(good)); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("good key from a limited address: %d", rec.Code)
	}
	// Another address is not affected, and the window passes.
	if rec := ts.RequestFrom(t, "203.0.113.6", http.MethodPost, protocol.EnrollPath, "", enrollReq(good)); rec.Code != http.StatusCreated {
		t.Fatalf("other address: %d %s", rec.Code, rec.Body.String())
	}
	ts.Clock.Advance(11 * time.Minute)
	if rec := ts.RequestFrom(t, "203.0.113.5", http.MethodPost, protocol.EnrollPath, "", enrollReq(good)); rec.Code != http.StatusCreated {
		t.Fatalf("after the window: %d %s", rec.Code, rec.Body.String())
	}
}

func TestEnrollValidatesTheReport(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	tok := ts.Login(t, ts.Seed.A.Admin.Email, ts.Seed.A.Admin.Password)
	key := ts.MintEnrollKey(t, tok, ts.Seed.A.Sites[0].ID)
	for name, mutate := range map[string]func(r *protocol.EnrollRequest){
		"no hostname":   func(r *protocol.EnrollRequest) { r.Hostname = "" },
		"control char":  func(r *protocol.EnrollRequest) { r.Hostname = "a\nb" },
		"shell os":      func(r *protocol.EnrollRequest) { r.OS = "linux; rm -rf /" },
		"no arch":       func(r *protocol.EnrollRequest) { r.Arch = "" },
		"huge version":  func(r *protocol.EnrollRequest) { r.AgentVersion = strings.Repeat("1", 65) },
		"space version": func(r *protocol.EnrollRequest) { r.AgentVersion = "1 2" },
	} {
		r := enrollReq(key)
		mutate(&r)
		if rec := ts.RequestFrom(t, "192.0.2.20", http.MethodPost, protocol.EnrollPath, "", r); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	for name, body := range map[string]any{"malformed": `{"enrollmentKey":`, "array": `[]`, "two values": `{} {}`} {
		if rec := ts.Request(t, http.MethodPost, protocol.EnrollPath, "", body, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", name, rec.Code)
		}
	}
	if rec := ts.Request(t, http.MethodPost, protocol.EnrollPath, "", "x", http.Header{"Content-Type": {"text/plain"}}); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text body: %d", rec.Code)
	}
	// A refused report spent no use of the key.
	page, _ := ts.AgentStore.EnrollmentKeys().List(context.Background(), domain.GlobalScope(), domain.PageRequest{})
	if page.Items[0].Uses != 0 {
		t.Errorf("uses %d", page.Items[0].Uses)
	}
}

func TestDownloads(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "breeze-agent-linux-amd64"), []byte("ELF..."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "secret"), []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "breeze-agent-linux-arm64"), 0o755); err != nil {
		t.Fatal(err)
	}
	ts := apitest.NewServerWith(t, apitest.Options{DownloadDir: dir})
	ts.RequireAgents(t)
	rec := ts.Request(t, http.MethodGet, "/downloads/breeze-agent-linux-amd64", "", nil, nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "ELF..." || rec.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	for _, p := range []string{
		"/downloads/breeze-agent-windows-amd64.exe", // allowed name, absent
		"/downloads/breeze-agent-linux-arm64",       // a directory
		"/downloads/..%2fsecret",
		"/downloads/%2e%2e%2fsecret",
		"/downloads/breeze-agent-plan9-amd64",
		"/downloads/breeze-agent-linux-amd64%00.txt",
		"/downloads/secret",
		"/downloads/",
	} {
		rec := ts.Request(t, http.MethodGet, p, "", nil, nil)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "secret") && strings.Contains(rec.Body.String(), "top") {
			t.Errorf("%s: %d %s", p, rec.Code, rec.Body.String())
		}
	}
	// Without a directory nothing is served.
	ts2 := apitest.NewServer(t)
	if rec := ts2.Request(t, http.MethodGet, "/downloads/breeze-agent-linux-amd64", "", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("no dir: %d", rec.Code)
	}
}

// A key minted without maxUses gets the default use limit (issue 12: one
// leaked unlimited key made devices, and agent tokens, without end); no
// limit must be asked for explicitly with 0.
func TestEnrollmentKeyUseLimitDefaultsTo50(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	a := ts.Seed.A
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	for _, tc := range []struct {
		body map[string]any
		want float64
	}{
		{map[string]any{"siteId": a.Sites[0].ID}, 50},
		{map[string]any{"siteId": a.Sites[0].ID, "maxUses": 0}, 0},
		{map[string]any{"siteId": a.Sites[0].ID, "maxUses": 7}, 7},
	} {
		code, body := ts.Do(t, http.MethodPost, keysPath, tok, tc.body)
		if code != http.StatusCreated || body["maxUses"] != tc.want {
			t.Errorf("mint %v: %d maxUses %v, want %v", tc.body, code, body["maxUses"], tc.want)
		}
	}
}
