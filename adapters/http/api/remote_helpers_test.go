package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/protocol"
)

// remoteServer is a test server with the remote-work side, and a linked
// fake agent for a device of partner A's first org.
type remoteServer struct {
	*apitest.TestServer
	admin    string // partner A admin's access token
	deviceID string
	token    string
}

func newRemoteServer(t *testing.T) *remoteServer { return newRemoteServerOn(t, false) }

// newRemoteServerOn is newRemoteServer on PostgreSQL + asynq when pg is set.
func newRemoteServerOn(t *testing.T, pg bool) *remoteServer {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
	if ts.Remote == nil {
		t.Fatal("the test server has no remote-work side")
	}
	rs := &remoteServer{TestServer: ts}
	rs.admin = ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	rs.deviceID, rs.token = ts.NewDevice(t, ts.Seed.A, 0, "host-a")
	return rs
}

// link dials and says hello for the device.
func (rs *remoteServer) link(t *testing.T) *websocket.Conn {
	t.Helper()
	conn, _, err := rs.DialAgent(t, rs.deviceID, rs.token)
	if err != nil {
		t.Fatalf("dial agent: %v", err)
	}
	apitest.Hello(t, conn, "host-a")
	return conn
}

// nextOfType reads frames until one of type typ (pings and the like are
// skipped) and decodes it into v.
func nextOfType(t *testing.T, conn *websocket.Conn, typ string, v any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		raw := apitest.ReadFrame(t, conn)
		h, err := protocol.PeekType(raw)
		if err != nil {
			t.Fatalf("bad frame %s: %v", raw, err)
		}
		if h == typ {
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			return
		}
	}
	t.Fatalf("no %s frame within 5 s", typ)
}

// waitStatus polls a command until it has status want.
func (rs *remoteServer) waitStatus(t *testing.T, token, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, body := rs.Do(t, http.MethodGet, "/api/v1/commands/"+id, token, nil)
		if code != http.StatusOK {
			t.Fatalf("get command: %d %v", code, body)
		}
		last = body
		if body["status"] == want {
			return body
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("command %s never reached %s; last %v", id, want, last)
	return nil
}

func sendJSON(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	if err := conn.WriteJSON(v); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func intp(i int) *int { return &i }

// bothProfiles runs fn on SQLite and on PostgreSQL (+ asynq on Redis).
func bothProfiles(t *testing.T, fn func(t *testing.T, rs *remoteServer)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { fn(t, newRemoteServerOn(t, pg)) })
	}
}
