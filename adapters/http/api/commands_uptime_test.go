package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// uptime, the action added through the registries: sent with its own
// default timeout, its data stored, and guarded like every action.
func TestCommandUptime(t *testing.T) {
	rs := newRemoteServer(t)
	conn := rs.link(t)
	code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, map[string]any{"action": "uptime"})
	if code != http.StatusAccepted {
		t.Fatalf("create: %d %v", code, body)
	}
	id := body["id"].(string)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	if cmd.ID != id || cmd.Action != protocol.ActionUptime || cmd.TimeoutSeconds != 30 || string(cmd.Payload) != "null" {
		t.Fatalf("frame %+v", cmd)
	}
	data, _ := json.Marshal(protocol.UptimeResult{Seconds: 187380})
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultSucceeded, Stdout: "up 52h3m0s", Data: data, StartedAt: now, FinishedAt: now})
	got := rs.waitStatus(t, rs.admin, id, "succeeded")
	if got["data"].(map[string]any)["seconds"].(float64) != 187380 || got["stdout"] != "up 52h3m0s" {
		t.Fatalf("result %v", got)
	}

	viewer := rs.NewUser(t, domain.RoleOrgViewer, rs.Seed.A.OrgUnit(0), rs.Seed.A.Partner.ID)
	vt := rs.Login(t, viewer.Email, viewer.Password)
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", vt, map[string]any{"action": "uptime"}); code != http.StatusForbidden {
		t.Errorf("org viewer sent uptime: %d", code)
	}
	bAdmin := rs.Login(t, rs.Seed.B.Admin.Email, apitest.DefaultPassword)
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", bAdmin, map[string]any{"action": "uptime"}); code != http.StatusNotFound {
		t.Errorf("partner B sent uptime to A's device: %d", code)
	}
}
