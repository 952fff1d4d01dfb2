package agentws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// fakeSession records what the hub hands it.
type fakeSession struct {
	mu         sync.Mutex
	hellos     []string
	heartbeats map[string][]protocol.Heartbeat
	inventory  []protocol.Inventory
	plugins    [][]protocol.PluginState
	helloErr   error
	// countOnly: heartbeats and hellos are counted, not kept (the memory
	// benchmark counts the server alone).
	countOnly bool
	counted   int
}

func (f *fakeSession) Hello(_ context.Context, id string, h protocol.Hello) (protocol.Welcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.helloErr != nil {
		return protocol.Welcome{}, f.helloErr
	}
	if !f.countOnly {
		f.hellos = append(f.hellos, id)
	}
	return protocol.Welcome{Header: protocol.Header{Type: protocol.TypeWelcome, ID: h.ID}, DeviceID: id, HeartbeatInterval: 60}, nil
}

func (f *fakeSession) Heartbeat(_ context.Context, id string, hb protocol.Heartbeat) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.countOnly {
		f.counted++
		return true
	}
	if f.heartbeats == nil {
		f.heartbeats = map[string][]protocol.Heartbeat{}
	}
	f.heartbeats[id] = append(f.heartbeats[id], hb)
	return true
}

func (f *fakeSession) Inventory(_ context.Context, _ string, inv protocol.Inventory) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inventory = append(f.inventory, inv)
	return nil
}

func (f *fakeSession) PluginStates(_ context.Context, _ string, states []protocol.PluginState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plugins = append(f.plugins, states)
	return nil
}

func (f *fakeSession) beats(id string) []protocol.Heartbeat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]protocol.Heartbeat(nil), f.heartbeats[id]...)
}

func (f *fakeSession) heartbeatCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.counted
	for _, b := range f.heartbeats {
		n += len(b)
	}
	return n
}

type env struct {
	hub   *agentws.Hub
	sess  *fakeSession
	url   string
	auths *atomic.Int64 // authenticator calls
}

// newEnv serves a hub whose "authenticator" takes the device id from the
// path when the bearer is "ok" (the real one lives in adapters/http/api).
func newEnv(t *testing.T, opts agentws.Options) *env { return newEnvB(t, opts) }

func newEnvB(t testing.TB, opts agentws.Options) *env {
	t.Helper()
	hub, err := agentws.New(agentws.Deps{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	auths := &atomic.Int64{}
	srv, err := httpapi.New(httpapi.Deps{
		Ready: func(context.Context) error { return nil }, Registry: prometheus.NewRegistry(),
		// The test client is the proxy: X-Forwarded-For names the agent.
		Options: httpapi.Options{TrustedProxies: []string{"127.0.0.1", "::1"}},
		Auth: httpapi.AuthenticatorFunc(func(c *gin.Context, rule httpapi.Rule) error {
			auths.Add(1)
			if rule.Kind != httpapi.RuleAgent || c.GetHeader("Authorization") != "Bearer ok" {
				return domain.Unauthenticatedf("no")
			}
			c.Set("device", c.Param("id"))
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	sess := &fakeSession{}
	hub.Register(srv, sess, nil, func(c *gin.Context) string { return c.GetString("device") })
	if err := srv.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	hts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		hts.Close()
	})
	return &env{hub: hub, sess: sess, url: "ws" + strings.TrimPrefix(hts.URL, "http"), auths: auths}
}

func (e *env) dial(t *testing.T, device string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	if hdr.Get("Authorization") == "" {
		hdr.Set("Authorization", "Bearer ok")
	}
	c, resp, err := websocket.DefaultDialer.Dial(e.url+fmt.Sprintf(protocol.LinkPath, device), hdr)
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, resp, err
}

func (e *env) link(t *testing.T, device string) *websocket.Conn {
	t.Helper()
	c, resp, err := e.dial(t, device, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", device, err, resp)
	}
	return c
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	var err error
	switch m := v.(type) {
	case string:
		err = c.WriteMessage(websocket.TextMessage, []byte(m))
	default:
		err = c.WriteJSON(m)
	}
	if err != nil {
		t.Fatalf("send: %v", err)
	}
}

// read returns the next frame, or the error that ended the link.
func read(c *websocket.Conn, within time.Duration) (map[string]any, error) {
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, data, err := c.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("server sent non-JSON %q", data)
	}
	return m, nil
}

func mustRead(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	m, err := read(c, 5*time.Second)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// closeCode reads until the link ends and returns its close code.
func closeCode(t *testing.T, c *websocket.Conn, within time.Duration) (int, []map[string]any) {
	t.Helper()
	var frames []map[string]any
	deadline := time.Now().Add(within)
	for {
		m, err := read(c, time.Until(deadline))
		if err == nil {
			frames = append(frames, m)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, frames
		}
		t.Fatalf("link ended without a close frame: %v (frames %v)", err, frames)
	}
}

func hello(t *testing.T, c *websocket.Conn) {
	t.Helper()
	send(t, c, protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: 1,
		Hostname: "pc", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0"})
	if m := mustRead(t, c); m["type"] != protocol.TypeWelcome || m["id"] != "h" {
		t.Fatalf("want welcome, got %v", m)
	}
}

const devA = "0190a0b0-0000-7000-8000-00000000000a"
const devB = "0190a0b0-0000-7000-8000-00000000000b"

func TestHeartbeatIsForTheLinkedDeviceOnly(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	c := e.link(t, devA)
	hello(t, c)
	send(t, c, map[string]any{"type": "heartbeat", "deviceId": devB, "cpuPercent": 12.5})
	waitFor(t, func() bool { return len(e.sess.beats(devA)) == 1 })
	if got := e.sess.beats(devA)[0].CPUPercent; got != 12.5 {
		t.Errorf("cpu %v", got)
	}
	if n := len(e.sess.beats(devB)); n != 0 {
		t.Errorf("the device named in the payload got %d heartbeats", n)
	}
}

func TestFramesBeforeHelloAreRefused(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	c := e.link(t, devA)
	send(t, c, map[string]any{"type": "heartbeat", "id": "x1"})
	if m := mustRead(t, c); m["type"] != "error" || m["code"] != "hello_first" || m["id"] != "x1" || m["fatal"] == true {
		t.Fatalf("got %v", m)
	}
	hello(t, c) // the link is still usable
	if n := len(e.sess.beats(devA)); n != 0 {
		t.Fatalf("%d heartbeats before hello were taken", n)
	}
}

func TestBadFramesGetErrorsThenTheLinkCloses(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxBadFrames: 3})
	c := e.link(t, devA)
	hello(t, c)
	for i, tc := range []struct{ frame, code string }{
		{`{"type":`, "malformed"},
		{`[1,2,3]`, "malformed"},
		{`{"type":"launch_missiles","id":"m1"}`, "unknown_type"},
	} {
		send(t, c, tc.frame)
		m := mustRead(t, c)
		if m["type"] != "error" || m["code"] != tc.code || m["fatal"] == true {
			t.Fatalf("frame %d %s: got %v", i, tc.frame, m)
		}
	}
	// Still linked: a heartbeat goes through.
	send(t, c, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, CPUPercent: 1})
	waitFor(t, func() bool { return len(e.sess.beats(devA)) == 1 })
	// One bad frame too many.
	send(t, c, `{"type":"heartbeat","cpuPercent":"lots"}`)
	code, frames := closeCode(t, c, 5*time.Second)
	if code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "too_many_bad_frames" || frames[0]["fatal"] != true {
		t.Fatalf("close %d frames %v", code, frames)
	}
}

func TestOversizedFrameClosesTheLink(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	c := e.link(t, devA)
	hello(t, c)
	big := `{"type":"inventory","pad":"` + strings.Repeat("x", protocol.MaxAgentFrame) + `"}`
	_ = c.WriteMessage(websocket.TextMessage, []byte(big))
	code, _ := closeCode(t, c, 5*time.Second)
	if code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d", code)
	}
	waitFor(t, func() bool { return !e.hub.Linked(devA) })
}

func TestFloodClosesTheLink(t *testing.T) {
	e := newEnv(t, agentws.Options{FrameLimit: 5, FrameWindow: time.Minute})
	c := e.link(t, devA)
	hello(t, c) // frame 1
	for i := 0; i < 4; i++ {
		send(t, c, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}})
	}
	send(t, c, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}}) // the 6th
	code, frames := closeCode(t, c, 5*time.Second)
	if code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "rate_limited" {
		t.Fatalf("close %d frames %v", code, frames)
	}
	if n := len(e.sess.beats(devA)); n != 4 {
		t.Errorf("%d heartbeats taken, want the 4 within the limit", n)
	}
	if e.hub.Stats().Flooded != 1 {
		t.Errorf("stats %+v", e.hub.Stats())
	}
}

func TestFrameWindowSlides(t *testing.T) {
	e := newEnv(t, agentws.Options{FrameLimit: 3, FrameWindow: 300 * time.Millisecond})
	c := e.link(t, devA)
	hello(t, c)
	for round := 0; round < 3; round++ {
		for i := 0; i < 2; i++ {
			send(t, c, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}})
		}
		time.Sleep(350 * time.Millisecond)
	}
	waitFor(t, func() bool { return len(e.sess.beats(devA)) == 6 })
	if !e.hub.Linked(devA) {
		t.Fatal("a link within its rate was closed")
	}
}

func TestANewerLinkReplacesTheOlder(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	old := e.link(t, devA)
	hello(t, old)
	fresh := e.link(t, devA)
	code, frames := closeCode(t, old, 5*time.Second)
	if code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "replaced" {
		t.Fatalf("old link: close %d frames %v", code, frames)
	}
	hello(t, fresh)
	if !e.hub.Linked(devA) || e.hub.Stats().Linked != 1 {
		t.Fatalf("stats %+v", e.hub.Stats())
	}
}

func TestCloseClosesWithinASecond(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	c := e.link(t, devA)
	hello(t, c)
	start := time.Now()
	e.hub.Close(devA)
	code, frames := closeCode(t, c, 2*time.Second)
	if code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "decommissioned" || frames[0]["fatal"] != true {
		t.Fatalf("close %d frames %v", code, frames)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closing took %s", d)
	}
	e.hub.Close(devB) // no link: nothing happens
}

func TestShutdownSaysGoingAwayAndRefusesNewLinks(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	c := e.link(t, devA)
	hello(t, c)
	done := make(chan error, 1)
	go func() { done <- e.hub.Shutdown(context.Background()) }()
	if code, _ := closeCode(t, c, 5*time.Second); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	_, resp, err := e.dial(t, devB, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("dial after shutdown: %v %+v", err, resp)
	}
}

func TestReconnectStormIsShed(t *testing.T) {
	e := newEnv(t, agentws.Options{UpgradesPerSecond: 1, UpgradeBurst: 2})
	e.link(t, devA)
	e.link(t, devB)
	_, resp, err := e.dial(t, "0190a0b0-0000-7000-8000-00000000000c", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third dial in a second: %v %+v", err, resp)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	if e.hub.Stats().Shed != 1 {
		t.Fatalf("stats %+v", e.hub.Stats())
	}
}

func TestBrowsersAndBadCredentialsAreRefused(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	_, resp, err := e.dial(t, devA, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("with an Origin: %v %+v", err, resp)
	}
	_, resp, err = e.dial(t, devA, http.Header{"Authorization": {"Bearer nope"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %v %+v", err, resp)
	}
}

func TestPingsKeepALinkAliveAndASilentPeerIsDropped(t *testing.T) {
	e := newEnv(t, agentws.Options{PingInterval: 100 * time.Millisecond, ReadTimeout: time.Second})
	alive := e.link(t, devA)
	hello(t, alive)
	// A reading client answers pings (gorilla does it inside ReadMessage).
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := alive.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	silent := e.link(t, devB) // never reads: never answers a ping
	time.Sleep(2500 * time.Millisecond)
	if !e.hub.Linked(devA) {
		t.Fatalf("a link answering pings was dropped: %v", <-readErr)
	}
	waitFor(t, func() bool { return !e.hub.Linked(devB) })
	_ = silent
}

// A client that never reads fills its queue; Send never blocks, the link is
// dropped, and both of its goroutines end.
func TestSlowAgentIsDroppedWithoutBlocking(t *testing.T) {
	// A write timeout far longer than the test: the drop must not wait for it.
	e := newEnv(t, agentws.Options{SendQueue: 4, WriteTimeout: time.Minute})
	base := runtime.NumGoroutine()
	c := e.link(t, devA)
	hello(t, c)
	frame := map[string]any{"type": "ping", "pad": strings.Repeat("p", 256<<10)}
	dropped := false
	for i := 0; i < 10_000 && !dropped; i++ {
		start := time.Now()
		ok := e.hub.Send(devA, frame)
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("Send blocked for %s", d)
		}
		dropped = !ok
	}
	if !dropped {
		t.Fatal("a client that never reads was never dropped")
	}
	// Unlinking is asynchronous (the reader goroutine sees the close); on
	// busy cores it can take a while: the property tested is Send not blocking.
	waitWithin(t, 10*time.Second, func() bool { return !e.hub.Linked(devA) })
	if e.hub.Stats().SlowDropped != 1 {
		t.Errorf("stats %+v", e.hub.Stats())
	}
	_ = c.Close()
	waitGoroutines(t, base)
}

// Many links opened and closed, by either side, leave no goroutine behind.
func TestNoGoroutineLeaks(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	base := runtime.NumGoroutine()
	var conns []*websocket.Conn
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("0190a0b0-0000-7000-8000-%012d", i)
		c := e.link(t, id)
		hello(t, c)
		conns = append(conns, c)
	}
	if e.hub.Stats().Linked != 20 {
		t.Fatalf("stats %+v", e.hub.Stats())
	}
	for i, c := range conns {
		switch i % 3 {
		case 0: // the agent says goodbye
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
		case 1: // the agent vanishes
			_ = c.UnderlyingConn().Close()
		case 2: // the server closes it
			e.hub.Close(fmt.Sprintf("0190a0b0-0000-7000-8000-%012d", i))
		}
	}
	waitFor(t, func() bool { return e.hub.Stats().Linked == 0 })
	for _, c := range conns {
		_ = c.Close()
	}
	waitGoroutines(t, base)
}

func TestRefusedHelloClosesTheLink(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	e.sess.helloErr = domain.Invalidf("protocol version 9 is not supported")
	c := e.link(t, devA)
	send(t, c, protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: 9})
	code, frames := closeCode(t, c, 5*time.Second)
	if code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "invalid" ||
		!strings.Contains(fmt.Sprint(frames[0]["message"]), "version 9") || frames[0]["id"] != "h" {
		t.Fatalf("close %d frames %v", code, frames)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitWithin(t, 5*time.Second, cond)
}

func waitWithin(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGoroutines waits for the goroutine count to fall back to base (a
// little slack for the HTTP client's idle connections).
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base+2 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPlainRequestIsNotUpgraded(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(e.url, "ws")+fmt.Sprintf(protocol.LinkPath, devA), nil)
	req.Header.Set("Authorization", "Bearer ok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusBadRequest || body["error"]["code"] != "invalid" {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	if e.hub.Linked(devA) {
		t.Fatal("linked without an upgrade")
	}
}

// Links still waiting for their hello are bounded: a reconnect storm is
// admitted at the pace hellos complete, not all at once.
func TestPendingHellosAreBounded(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxPendingHellos: 2})
	a := e.link(t, devA)
	b := e.link(t, devB)
	devC := "0190a0b0-0000-7000-8000-00000000000c"
	if _, resp, err := e.dial(t, devC, nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third link with two hellos pending: %v %+v", err, resp)
	}
	// A hello answered frees a place.
	send(t, a, protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h1"}, ProtocolVersion: protocol.Version})
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := a.ReadMessage(); err != nil {
		t.Fatalf("welcome: %v", err)
	}
	c := e.link(t, devC)
	// A link closed before its hello frees its place too.
	_ = b.Close()
	_ = c
	waitFor(t, func() bool {
		conn, _, err := e.dial(t, "0190a0b0-0000-7000-8000-00000000000d", nil)
		if err == nil {
			_ = conn.Close()
		}
		return err == nil
	})
}

// A link the node would shed is refused before its token is checked (the
// check costs a database lookup), with a Retry-After; a device's newer
// link still gets through to take over its own pending place.
func TestShedBeforeAuthentication(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxPendingHellos: 1})
	e.link(t, devA)
	before := e.auths.Load()
	_, resp, err := e.dial(t, devB, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second link with the only place taken: %v %+v", err, resp)
	}
	if got := e.auths.Load(); got != before {
		t.Fatalf("the shed link was authenticated (%d calls, want %d)", got, before)
	}
	if e.hub.Stats().Shed != 1 {
		t.Fatalf("stats %+v", e.hub.Stats())
	}
	e.link(t, devA) // its own place: admitted
	if got := e.auths.Load(); got != before+1 {
		t.Fatalf("authenticator calls %d, want %d", got, before+1)
	}
}

// Links shed together are told to come back spread out, not together.
func TestShedLinksAreToldToComeBackSpread(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxPendingHellos: 1, MaxPendingPerSource: 1})
	e.link(t, devA)
	seen := map[string]bool{}
	for i := range 8 {
		_, resp, err := e.dial(t, fmt.Sprintf("0190a0b0-0000-7000-8000-0000000001%02d", i), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("dial %d: %v %+v", i, err, resp)
		}
		seen[resp.Header.Get("Retry-After")] = true
	}
	// One place, guessed at one admission a second: eight refusals are
	// told eight different seconds.
	if len(seen) < 8 {
		t.Fatalf("Retry-After values %v: not spread", seen)
	}
}
