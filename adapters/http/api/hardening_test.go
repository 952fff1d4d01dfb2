package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Every answer of an authenticated route, refusals included, carries
// Cache-Control: no-store, so no browser or proxy cache keeps tenant data.
func TestAuthenticatedAnswersAreNotStored(t *testing.T) {
	ts := apitest.NewServer(t)
	tok := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"list", api.Prefix + "/orgs", tok, http.StatusOK},
		{"me", mePath, tok, http.StatusOK},
		{"no credentials", api.Prefix + "/orgs", "", http.StatusUnauthorized},
		{"foreign", api.Prefix + "/orgs/" + ts.Seed.B.Orgs[0].ID, tok, http.StatusNotFound},
	} {
		rec := ts.Request(t, http.MethodGet, tc.path, tc.token, nil, nil)
		if rec.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body.String())
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", tc.name, got)
		}
	}
	// A public answer is not forced out of caches.
	if rec := ts.Request(t, http.MethodGet, "/healthz", "", nil, nil); rec.Header().Get("Cache-Control") == "no-store" {
		t.Errorf("/healthz is no-store: the edge marks public answers too")
	}
}

// A secret parameter passed as an argument would be visible to every local
// user of the device in the process list: refused when a script is saved,
// when a stored one runs, and in a run_script command.
func TestSecretParameterNeverAnArgument(t *testing.T) {
	rs := newRemoteServer(t)
	org := rs.Seed.A.Orgs[0].ID
	script := map[string]any{
		"orgId": org, "name": "leaky", "language": "sh", "body": `echo "$1"`,
		"params": []map[string]any{{"name": "token", "type": "secret", "passAs": "arg"}},
	}
	code, body := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, script)
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body), "process list") {
		t.Fatalf("secret as an argument saved: %d %v", code, body)
	}
	// A script stored before the rule cannot run until it is edited.
	old := &domain.Script{PartnerID: rs.Seed.A.Partner.ID, OrgID: org, Name: "old", Language: "sh", Body: `echo "$1"`,
		TimeoutSeconds: 60, Params: []domain.ScriptParam{{Name: "token", Type: domain.ParamSecret, PassAs: "arg"}}}
	if err := rs.Store.Scripts().Create(context.Background(), domain.GlobalScope(), old); err != nil {
		t.Fatal(err)
	}
	code, body = rs.Do(t, http.MethodPost, "/api/v1/scripts/"+old.ID+"/runs", rs.admin,
		map[string]any{"deviceIds": []string{rs.deviceID}, "params": map[string]any{"token": "s3cret"}})
	if code != http.StatusBadRequest {
		t.Fatalf("a stored secret argument ran: %d %v", code, body)
	}
	// The ad hoc command says the same.
	code, body = rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, map[string]any{
		"action": "run_script", "payload": map[string]any{"language": "sh", "body": `echo "$1"`, "args": []string{"s3cret"}, "secretArgs": []int{0}}})
	if code != http.StatusBadRequest {
		t.Fatalf("run_script with a secret argument: %d %v", code, body)
	}
}

// One rule for running script code on a device (commands.MayRunScript):
// devices:execute and scripts:read over the device. A site technician runs
// a library script on their site's device, as they could already send it as
// a run_script command, and sees the run; a key without scripts:read can do
// neither; a device of another site is out of reach by both paths.
func TestScriptRunRuleIsOneForBothPaths(t *testing.T) {
	rs := newRemoteServer(t) // rs.deviceID is in partner A, org 0, site 0
	other, _ := rs.NewDevice(t, rs.Seed.A, 1, "other-site")
	tech := rs.NewUser(t, domain.RoleOrgTechnician, rs.Seed.A.SiteUnit(0), "")
	tok := rs.Login(t, tech.Email, tech.Password)
	_, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
		"orgId": rs.Seed.A.Orgs[0].ID, "name": "noop", "language": "sh", "body": "true"})
	runs := "/api/v1/scripts/" + sc["id"].(string) + "/runs"
	adHoc := map[string]any{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "true"}}

	code, run := rs.Do(t, http.MethodPost, runs, tok, map[string]any{"deviceIds": []string{rs.deviceID}})
	if code != http.StatusAccepted {
		t.Fatalf("site technician, library script on their site's device: %d %v", code, run)
	}
	if code, view := rs.Do(t, http.MethodGet, "/api/v1/script-runs/"+run["id"].(string), tok, nil); code != http.StatusOK {
		t.Fatalf("their own run: %d %v", code, view)
	}
	if code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", tok, adHoc); code != http.StatusAccepted {
		t.Fatalf("site technician, run_script on their site's device: %d %v", code, body)
	}
	// Another site's device: by neither path.
	if code, _ := rs.Do(t, http.MethodPost, runs, tok, map[string]any{"deviceIds": []string{other}}); code != http.StatusNotFound {
		t.Errorf("library script on another site's device: %d, want 404", code)
	}
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/devices/"+other+"/commands", tok, adHoc); code != http.StatusNotFound {
		t.Errorf("run_script on another site's device: %d, want 404", code)
	}
	// devices:execute without scripts:read: by neither path.
	code, key := rs.Do(t, http.MethodPost, "/api/v1/api-keys", rs.admin, map[string]any{
		"name": "exec only", "siteId": rs.Seed.A.Sites[0].ID, "permissions": []string{domain.PermDevicesExecute}})
	if code != http.StatusCreated {
		t.Fatalf("mint key: %d %v", code, key)
	}
	k := key["key"].(string)
	if code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", k, adHoc); code != http.StatusForbidden {
		t.Errorf("run_script without scripts:read: %d %v, want 403", code, body)
	}
	if code, _ := rs.Do(t, http.MethodPost, runs, k, map[string]any{"deviceIds": []string{rs.deviceID}}); code/100 == 2 {
		t.Errorf("library script without scripts:read: %d", code)
	}
	// Other device actions keep needing devices:execute alone.
	if code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", k,
		map[string]any{"action": "list_processes"}); code != http.StatusAccepted {
		t.Errorf("list_processes with devices:execute: %d %v", code, body)
	}
}
