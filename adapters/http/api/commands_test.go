package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func TestCommandRoundTrip(t *testing.T) { bothProfiles(t, testCommandRoundTrip) }

func testCommandRoundTrip(t *testing.T, rs *remoteServer) {
	conn := rs.link(t)
	code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "list_processes"})
	if code != http.StatusAccepted {
		t.Fatalf("create: %d %v", code, body)
	}
	id := body["id"].(string)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	if cmd.ID != id || cmd.Action != "list_processes" || cmd.TimeoutSeconds != 300 || cmd.OutputCap != protocol.DefaultOutputCap {
		t.Fatalf("frame %+v", cmd)
	}
	rs.waitStatus(t, rs.admin, id, "sent")
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
	rs.waitStatus(t, rs.admin, id, "running")
	data, _ := json.Marshal([]protocol.Process{{PID: 42, Name: "<img src=x onerror=alert(1)>"}})
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultSucceeded, ExitCode: intp(0), Stdout: "ok\n", Data: data, StartedAt: now, FinishedAt: now})
	got := rs.waitStatus(t, rs.admin, id, "succeeded")
	if got["stdout"] != "ok\n" || got["exitCode"].(float64) != 0 || got["attempts"].(float64) < 1 {
		t.Fatalf("result %v", got)
	}
	procs := got["data"].([]any)
	if procs[0].(map[string]any)["name"] != "<img src=x onerror=alert(1)>" {
		t.Fatalf("data %v", got["data"])
	}
	// A repeated result (the agent resends after a reconnect) changes nothing.
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultFailed, Stdout: "again", StartedAt: now, FinishedAt: now})
	time.Sleep(100 * time.Millisecond)
	if got := rs.waitStatus(t, rs.admin, id, "succeeded"); got["stdout"] != "ok\n" {
		t.Fatalf("a repeated result overwrote the first: %v", got)
	}
	// The list shows it, newest first.
	code, list := rs.Do(t, http.MethodGet, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, nil)
	if code != http.StatusOK || len(list["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, list)
	}
}

func TestCommandWaitsForOfflineDevice(t *testing.T) {
	bothProfiles(t, testCommandWaitsForOfflineDevice)
}

func testCommandWaitsForOfflineDevice(t *testing.T, rs *remoteServer) {
	code, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "collect_inventory"})
	if code != http.StatusAccepted || body["status"] != "queued" {
		t.Fatalf("create offline: %d %v", code, body)
	}
	id := body["id"].(string)
	conn := rs.link(t)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	if cmd.ID != id {
		t.Fatalf("delivered %s, want %s", cmd.ID, id)
	}
	rs.waitStatus(t, rs.admin, id, "sent")
}

func TestCommandRedeliveredAfterLinkDrops(t *testing.T) {
	bothProfiles(t, testCommandRedeliveredAfterLinkDrops)
}

func testCommandRedeliveredAfterLinkDrops(t *testing.T, rs *remoteServer) {
	conn := rs.link(t)
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "sleep 1"}})
	id := body["id"].(string)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
	rs.waitStatus(t, rs.admin, id, "running")
	_ = conn.Close() // the agent drops mid-command

	conn2 := rs.link(t)
	var again protocol.Command
	nextOfType(t, conn2, protocol.TypeCommand, &again)
	if again.ID != id {
		t.Fatalf("redelivered %s, want %s", again.ID, id)
	}
	now := time.Now().UTC()
	sendJSON(t, conn2, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultSucceeded, ExitCode: intp(0), StartedAt: now, FinishedAt: now})
	rs.waitStatus(t, rs.admin, id, "succeeded")
}

func TestCommandResultForAnotherDeviceRefused(t *testing.T) {
	rs := newRemoteServer(t)
	otherID, otherToken := rs.NewDevice(t, rs.Seed.A, 0, "host-other")
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+otherID+"/commands", rs.admin,
		map[string]any{"action": "list_services"})
	id := body["id"].(string)
	_ = otherToken

	conn := rs.link(t) // the first device's agent acks and claims a result for the other's command
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
	var ackErr protocol.Error
	nextOfType(t, conn, protocol.TypeError, &ackErr)
	if ackErr.ID != id || ackErr.Code != "invalid" {
		t.Fatalf("error frame for the ack %+v", ackErr)
	}
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultSucceeded, Stdout: "forged", StartedAt: now, FinishedAt: now})
	var e protocol.Error
	nextOfType(t, conn, protocol.TypeError, &e)
	if e.ID != id || e.Code != "invalid" {
		t.Fatalf("error frame %+v", e)
	}
	_, got := rs.Do(t, http.MethodGet, "/api/v1/commands/"+id, rs.admin, nil)
	if got["status"] != "queued" || got["stdout"] != "" || got["startedAt"] != nil {
		t.Fatalf("the forged ack or result changed the command: %v", got)
	}
}

func TestCommandIdempotencyKey(t *testing.T) {
	rs := newRemoteServer(t)
	req := map[string]any{"action": "reboot", "idempotencyKey": "k-1"}
	code1, b1 := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, req)
	code2, b2 := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, req)
	if code1 != http.StatusAccepted || code2 != http.StatusOK || b1["id"] != b2["id"] {
		t.Fatalf("idempotency: %d %v / %d %v", code1, b1["id"], code2, b2["id"])
	}
}

func TestCommandScopingAndValidation(t *testing.T) {
	rs := newRemoteServer(t)
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, map[string]any{"action": "list_services"})
	id := body["id"].(string)

	bAdmin := rs.Login(t, rs.Seed.B.Admin.Email, apitest.DefaultPassword)
	cases := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/api/v1/devices/" + rs.deviceID + "/commands", map[string]any{"action": "reboot"}},
		{http.MethodGet, "/api/v1/commands/" + id, nil},
		{http.MethodGet, "/api/v1/devices/" + rs.deviceID + "/commands", nil},
		{http.MethodPost, "/api/v1/commands/" + id + "/cancel", nil},
	}
	for _, c := range cases {
		if code, b := rs.Do(t, c.method, c.path, bAdmin, c.body); code != http.StatusNotFound {
			t.Errorf("%s %s as partner B: %d %v, want 404", c.method, c.path, code, b)
		}
	}
	viewer := rs.NewUser(t, domain.RoleOrgViewer, rs.Seed.A.OrgUnit(0), rs.Seed.A.Partner.ID)
	vt := rs.Login(t, viewer.Email, viewer.Password)
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", vt, map[string]any{"action": "reboot"}); code != http.StatusForbidden {
		t.Errorf("org viewer created a command: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/commands/"+id, vt, nil); code != http.StatusOK {
		t.Errorf("org viewer cannot read a command of their org: %d", code)
	}
	bad := []map[string]any{
		{"action": "format_disk"},
		{"action": "kill_process", "payload": map[string]any{"pid": 1}},
		{"action": "restart_service", "payload": map[string]any{"name": "ssh; reboot"}},
		{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "env", "env": map[string]string{"A;B": "x"}}},
		{"action": "run_script", "payload": map[string]any{"language": "sh; rm", "body": "env"}},
		{"action": "reboot", "timeoutSeconds": 999999},
	}
	for _, b := range bad {
		if code, resp := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, b); code != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", b, code, resp)
		}
	}
}

func TestCommandExpiresWhileOffline(t *testing.T) { bothProfiles(t, testCommandExpiresWhileOffline) }

func testCommandExpiresWhileOffline(t *testing.T, rs *remoteServer) {
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "list_services", "expiresInSeconds": 1})
	id := body["id"].(string)
	got := rs.waitStatus(t, rs.admin, id, "expired")
	if got["finishedAt"] == nil {
		t.Fatalf("expired without finishedAt: %v", got)
	}
	// The device coming back does not get it.
	conn := rs.link(t)
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			break
		}
		if typ, _ := protocol.PeekType(raw); typ == protocol.TypeCommand {
			t.Fatalf("an expired command was delivered: %s", raw)
		}
	}
}

func TestCommandCancel(t *testing.T) {
	rs := newRemoteServer(t)
	conn := rs.link(t)
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "sleep 100"}})
	id := body["id"].(string)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
	rs.waitStatus(t, rs.admin, id, "running")
	code, got := rs.Do(t, http.MethodPost, "/api/v1/commands/"+id+"/cancel", rs.admin, nil)
	if code != http.StatusOK || got["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, got)
	}
	var stop protocol.Header
	nextOfType(t, conn, protocol.TypeCommandCancel, &stop)
	if stop.ID != id {
		t.Fatalf("cancel frame for %s", stop.ID)
	}
	if code, _ := rs.Do(t, http.MethodPost, "/api/v1/commands/"+id+"/cancel", rs.admin, nil); code != http.StatusConflict {
		t.Fatalf("second cancel: %d, want 409", code)
	}
}

// The agent's plugin report (in hello, then a plugin_states frame) shows on
// the device, as text, within scope.
func TestDevicePluginStates(t *testing.T) {
	rs := newRemoteServer(t)
	conn, _, err := rs.DialAgent(t, rs.deviceID, rs.token)
	if err != nil {
		t.Fatal(err)
	}
	sendJSON(t, conn, protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: protocol.Version,
		AgentVersion: "1.0.0", Hostname: "host-a", OS: "linux", Arch: "amd64",
		Plugins: []protocol.PluginState{{ID: "breeze.luarun", Version: "1.0.0", State: "starting"}}})
	var w protocol.Welcome
	nextOfType(t, conn, protocol.TypeWelcome, &w)
	device := func() []any {
		code, body := rs.Do(t, http.MethodGet, "/api/v1/devices/"+rs.deviceID, rs.admin, nil)
		if code != http.StatusOK {
			t.Fatalf("get device: %d %v", code, body)
		}
		return body["plugins"].([]any)
	}
	if p := device(); len(p) != 1 || p[0].(map[string]any)["state"] != "starting" {
		t.Fatalf("after hello: %v", p)
	}
	sendJSON(t, conn, protocol.PluginStates{Header: protocol.Header{Type: protocol.TypePluginStates}, Plugins: []protocol.PluginState{
		{ID: "breeze.luarun", Version: "1.0.0", State: "running"},
		{ID: "acme.bad", Version: "0.1.0", State: "failed", Error: "<img src=x onerror=alert(1)>"},
	}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := device()
		if len(p) == 2 && p[1].(map[string]any)["error"] == "<img src=x onerror=alert(1)>" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin_states frame never showed: %v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A state outside the vocabulary is refused as a bad frame.
	sendJSON(t, conn, protocol.PluginStates{Header: protocol.Header{Type: protocol.TypePluginStates, ID: "bad"},
		Plugins: []protocol.PluginState{{ID: "x", State: "pwned"}}})
	var e protocol.Error
	nextOfType(t, conn, protocol.TypeError, &e)
	if e.ID != "bad" || e.Code != "invalid" {
		t.Fatalf("error frame %+v", e)
	}
	bAdmin := rs.Login(t, rs.Seed.B.Admin.Email, apitest.DefaultPassword)
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/devices/"+rs.deviceID, bAdmin, nil); code != http.StatusNotFound {
		t.Fatalf("partner B reads partner A's device: %d", code)
	}
}

// A command whose agent acknowledged it and was never heard of again is
// timed out by the sweep once its timeout and the grace have passed.
func TestCommandSweptWhenTheAgentNeverAnswers(t *testing.T) {
	rs := newRemoteServer(t)
	conn := rs.link(t)
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "list_services", "timeoutSeconds": 5})
	id := body["id"].(string)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
	rs.waitStatus(t, rs.admin, id, "running")
	ctx := context.Background()
	if n, err := rs.Remote.Commands.SweepOverdue(ctx); err != nil || n != 0 {
		t.Fatalf("a sweep before the deadline ended %d (%v)", n, err)
	}
	rs.Clock.Advance(5*time.Second + commands.DeadlineGrace)
	if n, err := rs.Remote.Commands.SweepOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("the sweep at the deadline ended %d (%v)", n, err)
	}
	got := rs.waitStatus(t, rs.admin, id, "timed_out")
	if got["error"] != "no result from the agent within the timeout" {
		t.Fatalf("timed out command %v", got)
	}
	// The late result is stored: the command ran and what it produced is
	// kept, with a note that it came after the server's deadline.
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultSucceeded, Stdout: "late but real", ExitCode: intp(0), StartedAt: now, FinishedAt: now})
	got = rs.waitStatus(t, rs.admin, id, "succeeded")
	if got["stdout"] != "late but real" || got["error"] != lateResultNote {
		t.Fatalf("late result: %v", got)
	}
	// A repeat of it changes nothing more.
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
		Status: protocol.ResultFailed, Stdout: "again", StartedAt: now, FinishedAt: now})
	time.Sleep(100 * time.Millisecond)
	if got = rs.waitStatus(t, rs.admin, id, "succeeded"); got["stdout"] != "late but real" {
		t.Fatalf("a repeated late result changed the command: %v", got)
	}
}

const lateResultNote = "the result arrived after the server had timed the command out"

// The expiry does not hang on a queue task (Redis restarted empty loses
// it): the sweep expires a queued command past its expiry from the
// database.
func TestCommandExpiredBySweepWithoutItsTask(t *testing.T) {
	rs := newRemoteServer(t)
	_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
		map[string]any{"action": "list_services", "expiresInSeconds": 600})
	id := body["id"].(string)
	ctx := context.Background()
	if n, err := rs.Remote.Commands.SweepOverdue(ctx); err != nil || n != 0 {
		t.Fatalf("a sweep before the expiry ended %d (%v)", n, err)
	}
	rs.Clock.Advance(601 * time.Second) // the queue's task is still 10 real minutes away
	if n, err := rs.Remote.Commands.SweepOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("the sweep after the expiry ended %d (%v)", n, err)
	}
	if got := rs.waitStatus(t, rs.admin, id, "expired"); got["finishedAt"] == nil {
		t.Fatalf("expired without finishedAt: %v", got)
	}
}

// An agent that sends more than the command's cap has its output clipped
// to the cap and marked truncated (the result is then read before it is
// written); one within the cap is stored as sent, in one write.
func TestCommandResultPastTheCapIsClipped(t *testing.T) {
	rs := newRemoteServer(t)
	conn := rs.link(t)
	now := time.Now().UTC()
	for _, tc := range []struct {
		name      string
		stdout    string
		wantLen   int
		truncated bool
	}{
		{"past the cap", strings.Repeat("a", protocol.DefaultOutputCap+10), protocol.DefaultOutputCap, true},
		{"at the cap", strings.Repeat("b", protocol.DefaultOutputCap), protocol.DefaultOutputCap, false},
	} {
		_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin,
			map[string]any{"action": "list_services"})
		id := body["id"].(string)
		var cmd protocol.Command
		nextOfType(t, conn, protocol.TypeCommand, &cmd)
		sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id},
			Status: protocol.ResultSucceeded, Stdout: tc.stdout, ExitCode: intp(0), StartedAt: now, FinishedAt: now})
		got := rs.waitStatus(t, rs.admin, id, "succeeded")
		out, _ := got["stdout"].(string)
		if len(out) != tc.wantLen || out != tc.stdout[:tc.wantLen] || got["truncated"] != tc.truncated {
			t.Fatalf("%s: stored %d bytes, truncated %v; want %d, %v", tc.name, len(out), got["truncated"], tc.wantLen, tc.truncated)
		}
	}
}
