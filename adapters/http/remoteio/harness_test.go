package remoteio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/remoteio"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/files"
	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/terminal"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// env is a real API server (SQLite, real auth) acting as node A, with a
// second relay node B sharing A's broker and presence registry. The fake
// agent's links are held by node B unless sameNode: every frame crosses
// the bus like between two server processes.
type env struct {
	ts      *apitest.TestServer
	agent   *fakeAgent
	bus     ports.Bus // node A's
	sockets *remoteio.Sockets
	broker  *terminal.Broker
	device  string // a device in org A1 (site A1), linked to the agent
	relayB  *relay.Relay
}

type envOptions struct {
	sameNode     bool
	idle         time.Duration
	recheck      time.Duration
	fileMax      int64
	allowOrigins []string
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ts := apitest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	broker := memory.NewBroker()
	busA := memory.NewBus(memory.BusOptions{Broker: broker})
	busB := memory.NewBus(memory.BusOptions{Broker: broker})
	reg := memory.NewPresenceRegistry(memory.PresenceRegistryOptions{})
	agent := newFakeAgent()
	var linksA relay.LocalLinks = noLinks{}
	if o.sameNode {
		linksA = agent
	}
	relayA, err := relay.New(relay.Deps{Bus: busA, Registry: reg, NodeID: "node-a", Links: linksA})
	if err != nil {
		t.Fatal(err)
	}
	relayB, err := relay.New(relay.Deps{Bus: busB, Registry: reg, NodeID: "node-b", Links: agent})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*relay.Relay{relayA, relayB} {
		ready := make(chan struct{})
		go func() { _ = r.Run(ctx, ready) }()
		<-ready
	}
	agent.relay = relayB
	if o.sameNode {
		agent.relay = relayA
	}

	dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "web-1")
	agent.link(dev)
	if err := agent.relay.Linked(ctx, dev); err != nil {
		t.Fatal(err)
	}

	tix, err := tickets.New(tickets.Deps{Tickets: ticketStore(t, ts.Store), Devices: ts.Store.Devices(), Auth: ts.Auth, Clock: ts.Clock})
	if err != nil {
		t.Fatal(err)
	}
	if o.recheck == 0 {
		o.recheck = time.Hour // tests that need it set it
	}
	term, err := terminal.New(terminal.Deps{Relay: relayA, Bus: busA, Devices: ts.Store.Devices(), Auth: ts.Auth,
		Audit: ts.Store.Audit(), IdleTimeout: o.idle, RecheckEvery: o.recheck})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := files.New(files.Deps{Relay: relayA, Devices: ts.Store.Devices(), Audit: ts.Store.Audit(),
		MaxBytes: o.fileMax, StallTimeout: 5 * time.Second, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sockets := remoteio.Register(ts.Server, remoteio.Deps{
		Tickets: tix, Terminal: term, Files: fs, Bus: busA, Auth: ts.Auth,
		Options: remoteio.Options{AllowedOrigins: o.allowOrigins, RecheckEvery: o.recheck},
	})
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = sockets.Shutdown(sctx)
	})
	return &env{ts: ts, agent: agent, bus: busA, sockets: sockets, broker: term, device: dev, relayB: relayB}
}

// ticketStore is the SQL store's own TicketStore (adapters/sqlite).
func ticketStore(t *testing.T, st ports.Store) ports.TicketStore {
	t.Helper()
	s, ok := st.(interface{ Tickets() ports.TicketStore })
	if !ok {
		t.Fatalf("store %T keeps no tickets", st)
	}
	return s.Tickets()
}

// ticket asks POST /ws-tickets as token; it returns the status and ticket.
func (e *env) ticket(t *testing.T, token, purpose, deviceID string) (int, string) {
	t.Helper()
	body := map[string]string{"purpose": purpose}
	if deviceID != "" {
		body["deviceId"] = deviceID
	}
	code, out := e.ts.Do(t, http.MethodPost, api.Prefix+"/ws-tickets", token, body)
	tk, _ := out["ticket"].(string)
	return code, tk
}

func (e *env) mustTicket(t *testing.T, token, purpose, deviceID string) string {
	t.Helper()
	code, tk := e.ticket(t, token, purpose, deviceID)
	if code != http.StatusCreated || !strings.HasPrefix(tk, tickets.Prefix) {
		t.Fatalf("ticket %s: %d %q", purpose, code, tk)
	}
	return tk
}

// dial opens a browser WebSocket on path with the ticket and Origin.
func (e *env) dial(t *testing.T, path, ticket, origin string, extra url.Values) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	base := e.ts.URL(t)
	q := url.Values{"ticket": {ticket}}
	for k, v := range extra {
		q[k] = v
	}
	u := "ws" + strings.TrimPrefix(base, "http") + path + "?" + q.Encode()
	h := http.Header{}
	if origin == "self" {
		origin = base
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(u, h)
	if conn != nil {
		t.Cleanup(func() { _ = conn.Close() })
	}
	return conn, resp, err
}

func (e *env) dialTerminal(t *testing.T, token, deviceID string) *websocket.Conn {
	t.Helper()
	tk := e.mustTicket(t, token, domain.TicketTerminal, deviceID)
	conn, resp, err := e.dial(t, api.Prefix+"/terminal/"+deviceID, tk, "self", url.Values{"cols": {"100"}, "rows": {"30"}})
	if err != nil {
		t.Fatalf("dial terminal: %v (%v)", err, status(resp))
	}
	return conn
}

func status(r *http.Response) string {
	if r == nil {
		return "no answer"
	}
	return fmt.Sprint(r.StatusCode)
}

// frame reads one server frame within 5 s.
func frame(t *testing.T, c *websocket.Conn) remoteio.ServerFrame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, raw, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var f remoteio.ServerFrame
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("frame %s: %v", raw, err)
	}
	return f
}

// waitFor reads frames until one of type typ (output frames are skipped).
func waitFor(t *testing.T, c *websocket.Conn, typ string) remoteio.ServerFrame {
	t.Helper()
	for {
		f := frame(t, c)
		if f.Type == typ {
			return f
		}
		if f.Type != remoteio.FrameOutput {
			t.Fatalf("want %s frame, got %+v", typ, f)
		}
	}
}

// rows returns the audit rows of action, newest first.
func (e *env) rows(t *testing.T, action string) []*domain.AuditEntry {
	t.Helper()
	var out []*domain.AuditEntry
	for _, r := range e.ts.AuditRows(t) {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isClose(err error, reason string) bool {
	ce, ok := err.(*websocket.CloseError)
	return ok && ce.Text == reason
}
