package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

type agentParts struct {
	store     ports.Store
	service   *agents.Service
	hub       *agentws.Hub
	batch     *agents.BatchWriter
	sweeper   *agents.Sweeper
	retention *agents.Retention
	events    *agents.RecordEvents
}

// buildAgents wires the agent side like the server does; the batch writer
// runs, the sweeper and retention job do not (tests call Sweep and Prune).
func buildAgents(t testing.TB, st ports.Store, limiter ports.RateLimiter, clock *Clock, log hclog.Logger, o AgentOptions, monitor agents.SampleObserver, reports agents.ReportObserver, certs agents.Certs) agentParts {
	t.Helper()
	p := agentParts{store: st, events: &agents.RecordEvents{}}
	if o.FlushEvery == 0 {
		o.FlushEvery = 20 * time.Millisecond
	}
	var err error
	if p.batch, err = agents.NewBatchWriter(agents.BatchDeps{
		Store: st, Clock: clock, Logger: log, BatchSize: o.BatchSize, FlushEvery: o.FlushEvery, QueueSize: o.QueueSize,
	}); err != nil {
		t.Fatalf("apitest: batch writer: %v", err)
	}
	if p.hub, err = agentws.New(agentws.Deps{Logger: log, Options: o.Hub}); err != nil {
		t.Fatalf("apitest: hub: %v", err)
	}
	if p.service, err = agents.New(agents.Deps{
		Store: st, Limiter: limiter, Clock: clock, Samples: p.batch, Links: p.hub, Events: p.events, Monitor: monitor, Reports: reports, Certs: certs, Logger: log,
		HeartbeatInterval: o.HeartbeatInterval, EnrollLimit: o.EnrollLimit,
	}); err != nil {
		t.Fatalf("apitest: agents service: %v", err)
	}
	if p.sweeper, err = agents.NewSweeper(agents.SweeperDeps{
		Store: st, Clock: clock, Events: p.events, Logger: log, Interval: p.service.HeartbeatInterval(),
	}); err != nil {
		t.Fatalf("apitest: sweeper: %v", err)
	}
	if p.retention, err = agents.NewRetention(agents.RetentionDeps{Store: st, Clock: clock, Logger: log}); err != nil {
		t.Fatalf("apitest: retention: %v", err)
	}
	p.batch.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.hub.Shutdown(ctx)
		p.batch.Stop(ctx)
	})
	return p
}

// URL starts a real HTTP listener for the server (once) and returns its
// base URL: WebSockets need a real connection.
func (ts *TestServer) URL(t testing.TB) string {
	t.Helper()
	ts.httpOnce.Do(func() {
		srv := httptest.NewServer(ts.Handler())
		t.Cleanup(srv.Close)
		ts.httpURL = srv.URL
	})
	return ts.httpURL
}

// RequireAgents fails the test when the store has no agent side.
func (ts *TestServer) RequireAgents(t testing.TB) {
	t.Helper()
	if ts.Agents == nil {
		t.Fatal("apitest: the store does not implement ports.AgentStore")
	}
}

// MintEnrollKey mints an enrollment key for siteID as the holder of token
// and returns the secret.
func (ts *TestServer) MintEnrollKey(t testing.TB, token, siteID string) string {
	t.Helper()
	code, body := ts.Do(t, http.MethodPost, api.Prefix+"/enrollment-keys", token, map[string]any{"siteId": siteID})
	if code != http.StatusCreated {
		t.Fatalf("apitest: mint enrollment key: %d %v", code, body)
	}
	key, _ := body["key"].(string)
	return key
}

// enrollIP numbers the addresses Enroll uses, so the per-IP limit never
// trips a test that does not mean to test it.
var enrollN atomic.Uint32

func enrollIP() string {
	v := enrollN.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", v>>16&0xff, v>>8&0xff, v&0xff)
}

// Enroll enrolls a device with key through POST /agents/enroll (from a
// fresh client address) and returns the answer.
func (ts *TestServer) Enroll(t testing.TB, key, hostname string) protocol.EnrollResponse {
	t.Helper()
	req := protocol.EnrollRequest{EnrollmentKey: key, Hostname: hostname, OS: "linux", Arch: "amd64", AgentVersion: "1.0.0"}
	rec := ts.RequestFrom(t, enrollIP(), http.MethodPost, protocol.EnrollPath, "", req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("apitest: enroll: %d %s", rec.Code, rec.Body.String())
	}
	var out protocol.EnrollResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("apitest: enroll answer: %v", err)
	}
	return out
}

// RequestFrom is Request (JSON body, optional bearer) from client address ip.
func (ts *TestServer) RequestFrom(t testing.TB, ip, method, path, token string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("apitest: marshal body: %v", err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = net.JoinHostPort(ip, "40000")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

// NewDevice enrolls a device into site i of tenant tn directly through the
// service (no HTTP, no rate limit) and returns its id and agent token.
func (ts *TestServer) NewDevice(t testing.TB, tn Tenant, i int, hostname string) (deviceID, token string) {
	t.Helper()
	ts.RequireAgents(t)
	ctx := context.Background()
	admin := &domain.Principal{Kind: domain.PrincipalUser, UserID: tn.Admin.ID, PartnerID: tn.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: tn.Partner.ID}, Permissions: domain.AllPermissions()}}}
	_, key, err := ts.Agents.MintKey(ctx, admin, agents.NewKey{SiteID: tn.Sites[i].ID})
	if err != nil {
		t.Fatalf("apitest: mint key: %v", err)
	}
	out, err := ts.Agents.Enroll(ctx, protocol.EnrollRequest{
		EnrollmentKey: key, Hostname: hostname, OS: "linux", Arch: "amd64", AgentVersion: "1.0.0",
	}, enrollIP())
	if err != nil {
		t.Fatalf("apitest: enroll: %v", err)
	}
	return out.DeviceID, out.AgentToken
}

// DialAgent opens the agent link of deviceID with token over a real
// connection. On a refused upgrade it returns the HTTP answer and the error.
func (ts *TestServer) DialAgent(t testing.TB, deviceID, token string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.URL(t), "http") + fmt.Sprintf(protocol.LinkPath, deviceID)
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(u, h)
	if conn != nil {
		t.Cleanup(func() { _ = conn.Close() })
	}
	return conn, resp, err
}

// Hello sends hello on conn and returns the welcome; it fails the test on
// anything else.
func Hello(t testing.TB, conn *websocket.Conn, hostname string) protocol.Welcome {
	t.Helper()
	err := conn.WriteJSON(protocol.Hello{
		Header: protocol.Header{Type: protocol.TypeHello, ID: "h1"}, ProtocolVersion: protocol.Version,
		AgentVersion: "1.0.1", Hostname: hostname, OS: "linux", Arch: "amd64", Capabilities: []string{"heartbeat"},
	})
	if err != nil {
		t.Fatalf("apitest: send hello: %v", err)
	}
	var w protocol.Welcome
	raw := ReadFrame(t, conn)
	if err := json.Unmarshal(raw, &w); err != nil || w.Type != protocol.TypeWelcome {
		t.Fatalf("apitest: expected welcome, got %s (%v)", raw, err)
	}
	return w
}

// ReadFrame reads one text frame within 5 s.
func ReadFrame(t testing.TB, conn *websocket.Conn) []byte {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("apitest: read frame: %v", err)
	}
	return data
}
