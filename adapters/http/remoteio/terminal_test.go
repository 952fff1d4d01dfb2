package remoteio_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/remoteio"
	"github.com/breeze-rmm/breeze/core/app/terminal"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func send(t *testing.T, c *websocket.Conn, f remoteio.BrowserFrame) {
	t.Helper()
	if err := c.WriteJSON(f); err != nil {
		t.Fatalf("send %s: %v", f.Type, err)
	}
}

// roundTrip opens a terminal as token and checks input → agent → output.
func roundTrip(t *testing.T, e *env, token string) *websocket.Conn {
	t.Helper()
	c := e.dialTerminal(t, token, e.device)
	ready := frame(t, c)
	if ready.Type != remoteio.FrameReady || !domain.ValidID(ready.SessionID) {
		t.Fatalf("want ready with a session id, got %+v", ready)
	}
	if f := waitFor(t, c, remoteio.FrameOutput); string(f.Data) != "$ " {
		t.Fatalf("prompt: %q", f.Data)
	}
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameInput, Data: "ls\n"})
	if f := waitFor(t, c, remoteio.FrameOutput); string(f.Data) != "echo:ls\n" {
		t.Fatalf("echo: %q", f.Data)
	}
	return c
}

// The browser is on node A, the agent's link on node B: every frame crosses
// the bus both ways.
func TestTerminalRoundTripAcrossNodes(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, tok)

	// The output frame is base64 on the wire.
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameInput, Data: "é"})
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, raw, err := c.ReadMessage()
	if err != nil || !strings.Contains(string(raw), `"data":"ZWNobzrDqQ=="`) {
		t.Fatalf("output frame %s (%v)", raw, err)
	}
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameResize, Cols: 120, Rows: 40})
	send(t, c, remoteio.BrowserFrame{Type: "bogus"})
	if f := waitFor(t, c, remoteio.FrameError); f.Code != "invalid" {
		t.Fatalf("bogus frame: %+v", f)
	}
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameResize, Cols: 0, Rows: 40})
	if f := waitFor(t, c, remoteio.FrameError); f.Code != "invalid" {
		t.Fatalf("bad resize: %+v", f)
	}
	// The shell exits: closed with its exit code, and the close row written.
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameInput, Data: "exit\n"})
	f := waitFor(t, c, remoteio.FrameClosed)
	if f.Reason != "exited" || f.ExitCode == nil || *f.ExitCode != 3 {
		t.Fatalf("closed: %+v", f)
	}
	got := e.agent.received()
	for _, want := range []string{"terminal_open", "terminal_input", "terminal_resize"} {
		if !slices.Contains(got, want) {
			t.Fatalf("agent did not receive %s: %v", want, got)
		}
	}
	eventually(t, "close row", func() bool { return len(e.rows(t, terminal.ActionClose)) == 1 })
	open := e.rows(t, terminal.ActionOpen)
	if len(open) != 1 || open[0].Outcome != domain.OutcomeSuccess || open[0].ActorID != e.ts.Seed.A.Admin.ID ||
		open[0].ResourceID != e.device || open[0].OrgID != e.ts.Seed.A.Orgs[0].ID || open[0].ResourceType != "device" {
		t.Fatalf("open row: %+v", open)
	}
	cl := e.rows(t, terminal.ActionClose)[0]
	var d map[string]any
	_ = json.Unmarshal([]byte(cl.Details), &d)
	if d["reason"] != "exited" || d["sessionId"] == nil || d["durationMs"] == nil || d["exitCode"] != float64(3) {
		t.Fatalf("close row details: %s", cl.Details)
	}
}

func TestTerminalSameNode(t *testing.T) {
	e := newEnv(t, envOptions{sameNode: true})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, tok)
	_ = c.Close() // the browser leaves: the agent is told and the session ends
	eventually(t, "terminal_close to the agent", func() bool { return slices.Contains(e.agent.received(), "terminal_close") })
	eventually(t, "close row", func() bool { return len(e.rows(t, terminal.ActionClose)) == 1 })
	if e.broker.Count() != 0 {
		t.Fatalf("sessions left: %d", e.broker.Count())
	}
}

// The agent refuses a session (its limit of sessions): the browser gets a
// terminal_refused error, never "ready" for a session that does not exist.
func TestTerminalRefusedByTheAgentIsReported(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.agent.mu.Lock()
	e.agent.refuse = true
	e.agent.mu.Unlock()
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := e.dialTerminal(t, tok, e.device)
	if f := frame(t, c); f.Type != remoteio.FrameError || f.Code != remoteio.CodeTerminalRefused {
		t.Fatalf("refused session: want error %s, got %+v", remoteio.CodeTerminalRefused, f)
	}
	eventually(t, "the session released", func() bool { return e.broker.Count() == 0 })
}

func TestTerminalDeviceOffline(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	_ = e.relayB.Unlinked(context.Background(), e.device)
	e.agent.unlink(e.device)
	c := e.dialTerminal(t, tok, e.device)
	if f := frame(t, c); f.Type != remoteio.FrameError || f.Code != "device_offline" {
		t.Fatalf("offline device: %+v", f)
	}
	rows := e.rows(t, terminal.ActionOpen)
	if len(rows) != 1 || rows[0].Outcome != domain.OutcomeFailure {
		t.Fatalf("open row of an offline device: %+v", rows)
	}
}

func TestTerminalEndsOnLogout(t *testing.T) {
	e := newEnv(t, envOptions{recheck: 50 * time.Millisecond})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, tok)
	if code, _ := e.ts.Do(t, http.MethodPost, api.Prefix+"/auth/logout", tok, nil); code/100 != 2 {
		t.Fatalf("logout: %d", code)
	}
	if f := waitFor(t, c, remoteio.FrameClosed); f.Reason != terminal.ReasonLoggedOut {
		t.Fatalf("closed: %+v", f)
	}
	eventually(t, "terminal_close to the agent", func() bool { return slices.Contains(e.agent.received(), "terminal_close") })
}

// With the periodic check far away, the revocation message alone ends the
// session at once.
func TestTerminalEndsOnRevocationMessage(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.ts.LoginSession(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, s.AccessToken)
	claims, err := e.ts.Tokens.Verify(context.Background(), s.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	// Another session of the same user is not this one.
	if err := tickets.PublishRevoked(context.Background(), e.bus, tickets.Revocation{SessionID: domain.NewID()}); err != nil {
		t.Fatal(err)
	}
	send(t, c, remoteio.BrowserFrame{Type: remoteio.FrameInput, Data: "still\n"})
	if f := waitFor(t, c, remoteio.FrameOutput); string(f.Data) != "echo:still\n" {
		t.Fatalf("echo: %q", f.Data)
	}
	if err := tickets.PublishRevoked(context.Background(), e.bus, tickets.Revocation{SessionID: claims.SessionID}); err != nil {
		t.Fatal(err)
	}
	if f := waitFor(t, c, remoteio.FrameClosed); f.Reason != terminal.ReasonLoggedOut {
		t.Fatalf("closed: %+v", f)
	}
}

func TestTerminalEndsOnGrantRemoval(t *testing.T) {
	e := newEnv(t, envOptions{recheck: 50 * time.Millisecond})
	u := e.ts.NewUser(t, domain.RoleOrgTechnician, e.ts.Seed.A.OrgUnit(0), "")
	tok := e.ts.Login(t, u.Email, u.Password)
	c := roundTrip(t, e, tok)
	ctx, all := context.Background(), domain.GlobalScope()
	page, err := e.ts.Store.RoleAssignments().List(ctx, all, ports.RoleAssignmentFilter{UserID: u.ID}, domain.PageRequest{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("grants: %v %v", page.Items, err)
	}
	if err := e.ts.Store.RoleAssignments().Delete(ctx, all, page.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if f := waitFor(t, c, remoteio.FrameClosed); f.Reason != terminal.ReasonPermissionLost {
		t.Fatalf("closed: %+v", f)
	}
	eventually(t, "close row", func() bool { return len(e.rows(t, terminal.ActionClose)) == 1 })
	if !strings.Contains(e.rows(t, terminal.ActionClose)[0].Details, terminal.ReasonPermissionLost) {
		t.Fatalf("close row: %s", e.rows(t, terminal.ActionClose)[0].Details)
	}
}

func TestTerminalEndsWhenAgentLinkGone(t *testing.T) {
	e := newEnv(t, envOptions{recheck: 50 * time.Millisecond})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, tok)
	_ = e.relayB.Unlinked(context.Background(), e.device)
	if f := waitFor(t, c, remoteio.FrameClosed); f.Reason != terminal.ReasonDisconnected {
		t.Fatalf("closed: %+v", f)
	}
}

func TestTerminalIdleTimeout(t *testing.T) {
	e := newEnv(t, envOptions{idle: 300 * time.Millisecond})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c := roundTrip(t, e, tok)
	start := time.Now()
	if f := waitFor(t, c, remoteio.FrameClosed); f.Reason != terminal.ReasonIdle {
		t.Fatalf("closed: %+v", f)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Fatalf("ended after %v, before the idle timeout", time.Since(start))
	}
}
