package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// hostile is a parameter value full of shell metacharacters: it must reach
// the agent byte for byte, as data.
const hostile = `; rm -rf / $(reboot) ` + "`id`" + ` | && '"` + "\n$HOME > /etc/passwd"

func TestScriptRunWithParameters(t *testing.T) { bothProfiles(t, testScriptRunWithParameters) }

func testScriptRunWithParameters(t *testing.T, rs *remoteServer) {
	conn := rs.link(t)
	org := rs.Seed.A.Orgs[0].ID
	code, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
		"orgId": org, "name": "greet", "language": "bash", "body": `echo "hello $BREEZE_PARAM_NAME" "$1"`,
		"params": []map[string]any{
			{"name": "name", "type": "string", "required": true},
			{"name": "token", "type": "secret"},
			{"name": "count", "type": "number", "default": "3"},
		},
	})
	if code != http.StatusCreated {
		t.Fatalf("create script: %d %v", code, sc)
	}
	sid := sc["id"].(string)
	code, run := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sid+"/runs", rs.admin, map[string]any{
		"deviceIds": []string{rs.deviceID}, "params": map[string]any{"name": hostile, "token": "s3cret"},
	})
	if code != http.StatusAccepted {
		t.Fatalf("run: %d %v", code, run)
	}
	if run["params"].(map[string]any)["token"] != "********" || run["total"].(float64) != 1 {
		t.Fatalf("run view %v", run)
	}
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	var p protocol.RunScriptPayload
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		t.Fatal(err)
	}
	// While the command is pending: the secret is sealed in the database
	// and shown as ******** by the API, even to its own author.
	row, err := rs.Store.Commands().Get(context.Background(), domain.GlobalScope(), cmd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(row.Payload), "s3cret") || !strings.Contains(string(row.Payload), "sealed:") {
		t.Fatalf("the secret is stored in clear: %s", row.Payload)
	}
	_, pendingView := rs.Do(t, http.MethodGet, "/api/v1/commands/"+cmd.ID, rs.admin, nil)
	if raw, _ := json.Marshal(pendingView["payload"]); strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), "sealed:") ||
		!strings.Contains(string(raw), "********") {
		t.Fatalf("the API shows the pending command's secret: %s", raw)
	}
	if p.Env["BREEZE_PARAM_NAME"] != hostile || p.Env["BREEZE_PARAM_COUNT"] != "3" || p.Env["BREEZE_PARAM_TOKEN"] != "s3cret" {
		t.Fatalf("parameters did not arrive verbatim: %+v", p)
	}
	if p.Body != `echo "hello $BREEZE_PARAM_NAME" "$1"` || p.Language != "bash" {
		t.Fatalf("body changed: %+v", p)
	}
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: cmd.ID},
		Status: protocol.ResultSucceeded, ExitCode: intp(0), Stdout: "hello x\n", StartedAt: now, FinishedAt: now})
	got := rs.waitStatus(t, rs.admin, cmd.ID, "succeeded")
	var stored protocol.RunScriptPayload
	raw, _ := json.Marshal(got["payload"])
	_ = json.Unmarshal(raw, &stored)
	if stored.Env["BREEZE_PARAM_TOKEN"] != "********" || stored.Env["BREEZE_PARAM_NAME"] != hostile {
		t.Fatalf("the secret was not redacted once final (or more was): %+v", stored)
	}
	runID := run["id"].(string)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, view := rs.Do(t, http.MethodGet, "/api/v1/script-runs/"+runID, rs.admin, nil)
		if view["counts"].(map[string]any)["succeeded"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run counts never showed the result: %v", view)
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, results := rs.Do(t, http.MethodGet, "/api/v1/script-runs/"+runID+"/results", rs.admin, nil)
	if code != http.StatusOK || len(results["items"].([]any)) != 1 {
		t.Fatalf("results: %d %v", code, results)
	}
	// Missing required parameter, unknown parameter, wrong type.
	for _, params := range []map[string]any{{}, {"name": "x", "nope": 1}, {"name": "x", "count": "three"}} {
		if code, b := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sid+"/runs", rs.admin,
			map[string]any{"deviceIds": []string{rs.deviceID}, "params": params}); code != http.StatusBadRequest {
			t.Errorf("params %v: %d %v, want 400", params, code, b)
		}
	}
}

func TestScriptRunOnSiteFansOut(t *testing.T) {
	rs := newRemoteServer(t)
	var ids []string
	ids = append(ids, rs.deviceID)
	for i := 0; i < 4; i++ {
		id, _ := rs.NewDevice(t, rs.Seed.A, 0, fmt.Sprintf("fan-%d", i))
		ids = append(ids, id)
	}
	// A network device in the site: the fan-out skips it, naming it is a 400.
	netDev := &domain.Device{SiteID: rs.Seed.A.Sites[0].ID, Hostname: "printer", OS: "network",
		Status: domain.DeviceOnline, Kind: domain.DeviceKindNetwork}
	if err := rs.Store.Devices().Create(t.Context(), domain.GlobalScope(), netDev); err != nil {
		t.Fatal(err)
	}
	_, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
		"orgId": rs.Seed.A.Orgs[0].ID, "name": "noop", "language": "sh", "body": "true"})
	rec := rs.Request(t, http.MethodPost, "/api/v1/scripts/"+sc["id"].(string)+"/runs", rs.admin,
		map[string]any{"deviceIds": []string{rs.deviceID, netDev.ID}}, nil)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "printer is a network device: it has no agent") {
		t.Fatalf("run naming a network device: %d %s", rec.Code, rec.Body)
	}
	code, run := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sc["id"].(string)+"/runs", rs.admin,
		map[string]any{"siteId": rs.Seed.A.Sites[0].ID})
	if code != http.StatusAccepted || run["total"].(float64) != 5 || run["targetKind"] != "site" {
		t.Fatalf("run: %d %v", code, run)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, res := rs.Do(t, http.MethodGet, "/api/v1/script-runs/"+run["id"].(string)+"/results", rs.admin, nil)
		if n := len(res["items"].([]any)); n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fan-out did not create 5 commands: %v", res)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A site of partner B is not a target for partner A.
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/scripts/"+sc["id"].(string)+"/runs", rs.admin,
		map[string]any{"siteId": rs.Seed.B.Sites[0].ID}); code != http.StatusNotFound {
		t.Fatalf("foreign site: %d, want 404", code)
	}
}

func TestScriptLibrarySharingAndVersions(t *testing.T) {
	rs := newRemoteServer(t)
	a := rs.Seed.A
	code, shared := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
		"partnerId": a.Partner.ID, "name": "disk report", "language": "sh", "body": "df -h"})
	if code != http.StatusCreated || shared["orgId"] != nil {
		t.Fatalf("partner-wide script: %d %v", code, shared)
	}
	id := shared["id"].(string)
	tech := rs.NewUser(t, domain.RoleOrgTechnician, a.OrgUnit(0), a.Partner.ID)
	tt := rs.Login(t, tech.Email, tech.Password)
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/scripts/"+id, tt, nil); code != http.StatusOK {
		t.Fatalf("an org technician cannot read their partner's shared script: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodPatch, "/api/v1/scripts/"+id, tt, map[string]any{
		"name": "mine now", "language": "sh", "body": "rm -rf /", "version": 1}); code != http.StatusNotFound {
		t.Fatalf("an org technician changed a partner-wide script: %d", code)
	}
	bAdmin := rs.Login(t, rs.Seed.B.Admin.Email, apitest.DefaultPassword)
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/scripts/"+id, bAdmin, nil); code != http.StatusNotFound {
		t.Fatalf("partner B reads partner A's script: %d", code)
	}
	code, upd := rs.Do(t, http.MethodPatch, "/api/v1/scripts/"+id, rs.admin, map[string]any{
		"name": "disk report", "language": "sh", "body": "df -hT", "version": 1})
	if code != http.StatusOK || upd["version"].(float64) != 2 {
		t.Fatalf("update: %d %v", code, upd)
	}
	if code, _ := rs.Do(t, http.MethodPatch, "/api/v1/scripts/"+id, rs.admin, map[string]any{
		"name": "disk report", "language": "sh", "body": "stale", "version": 1}); code != http.StatusConflict {
		t.Fatalf("stale update: %d, want 409", code)
	}
	code, vs := rs.Do(t, http.MethodGet, "/api/v1/scripts/"+id+"/versions", rs.admin, nil)
	items := vs["items"].([]any)
	if code != http.StatusOK || len(items) != 2 || items[0].(map[string]any)["body"] != "df -hT" || items[1].(map[string]any)["body"] != "df -h" {
		t.Fatalf("versions: %d %v", code, vs)
	}
	for _, bad := range []map[string]any{
		{"orgId": a.Orgs[0].ID, "name": "x", "language": "cmd.exe", "body": "dir"},
		{"orgId": a.Orgs[0].ID, "name": "x", "language": "sh", "body": ""},
		{"orgId": a.Orgs[0].ID, "name": "x", "language": "sh", "body": "true", "params": []map[string]any{{"name": "a b", "type": "string"}}},
		{"orgId": a.Orgs[0].ID, "name": "x", "language": "sh", "body": "true", "params": []map[string]any{{"name": "s", "type": "secret", "default": "leak"}}},
	} {
		if code, b := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, bad); code != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", bad, code, b)
		}
	}
}
