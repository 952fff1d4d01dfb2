package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// TestLinkBadInput attacks the agent link with a real token and a raw
// WebSocket client: refused upgrades, malformed and unknown frames, frames
// before hello, a bad protocol version, oversized frames, a heartbeat
// naming another device, a flood. Each gets its documented answer, and the
// server stays healthy and keeps serving good agents.
func TestLinkBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testLinkBadInput(t, b)
		})
	}
}

func testLinkBadInput(t *testing.T, b backend) {
	srv := startServer(t, b)
	api := login(t, srv)
	key := api.mintKey(api.site("Link "+b.name), 0)
	enroll := func(name string) protocol.EnrollResponse { return enrollRaw(t, srv, key, name) }

	t.Run("upgrade refused", func(t *testing.T) {
		a, other := enroll("upgrade-a"), enroll("upgrade-b")
		cases := []struct {
			name   string
			path   string
			header http.Header
			want   int
		}{
			{"no token", a.DeviceID, nil, http.StatusUnauthorized},
			{"unknown token", a.DeviceID, bearer("brz_" + strings.Repeat("x", 43)), http.StatusUnauthorized},
			{"user access token", a.DeviceID, bearer(api.token), http.StatusUnauthorized},
			{"token of another device", other.DeviceID, bearer(a.AgentToken), http.StatusUnauthorized},
			{"browser origin", a.DeviceID, withOrigin(bearer(a.AgentToken)), http.StatusForbidden},
		}
		for _, tc := range cases {
			_, res, err := websocket.DefaultDialer.Dial(wsURL(srv, tc.path), tc.header)
			if err == nil || res == nil || res.StatusCode != tc.want {
				t.Errorf("%s: err %v, status %s, want %d", tc.name, err, statusOf(res), tc.want)
			}
		}
		// A plain GET (no upgrade) with a good token is a client error, not a crash.
		req, _ := http.NewRequest(http.MethodGet, srv.url+fmt.Sprintf(protocol.LinkPath, a.DeviceID), nil)
		req.Header.Set("Authorization", "Bearer "+a.AgentToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain GET of the link: status %d, want 400", res.StatusCode)
		}
	})

	t.Run("frames before hello", func(t *testing.T) {
		l := dialLink(t, srv, enroll("before-hello"))
		l.sendJSON(map[string]any{"type": "heartbeat", "id": "hb1", "cpuPercent": 1})
		if e := l.expectError(); e.Code != "hello_first" || e.ID != "hb1" || e.Fatal {
			t.Fatalf("heartbeat before hello answered %+v", e)
		}
		l.hello("h1") // the link is still usable
	})

	t.Run("malformed and unknown frames", func(t *testing.T) {
		l := dialLink(t, srv, enroll("malformed"))
		l.hello("h1")
		for _, tc := range []struct{ frame, code string }{
			{`{not json`, "malformed"},
			{`[1,2,3]`, "malformed"},
			{`{"id":"x"}`, "malformed"},
			{`{"type":""}`, "malformed"},
			{`{"type":"heartbeat","cpuPercent":"high"}`, "malformed"},
			{`{"type":"inventory","full":"yes"}`, "malformed"},
			{`{"type":"reboot_now","id":"u1"}`, "unknown_type"},
			{`{"type":"` + strings.Repeat("z", 500) + `"}`, "unknown_type"},
		} {
			l.send(websocket.TextMessage, []byte(tc.frame))
			e := l.expectError()
			if e.Code != tc.code || e.Fatal {
				t.Errorf("frame %.40q answered %+v, want code %s, not fatal", tc.frame, e, tc.code)
			}
			if len(e.Message) > 200 {
				t.Errorf("frame %.40q: the error echoes too much (%d bytes)", tc.frame, len(e.Message))
			}
		}
		l.send(websocket.BinaryMessage, []byte{0, 1, 2, 3})
		if e := l.expectError(); e.Code != "malformed" {
			t.Errorf("binary frame answered %+v", e)
		}
		l.hello("h2") // nine bad frames so far: still linked
	})

	t.Run("too many bad frames", func(t *testing.T) {
		l := dialLink(t, srv, enroll("bad-frames"))
		l.hello("h1")
		for i := range 11 {
			l.sendJSON(map[string]any{"type": "nonsense", "id": strconv.Itoa(i)})
		}
		var last protocol.Error
		for i := 0; i < 11; i++ {
			last = l.expectError()
			if last.Fatal {
				break
			}
		}
		if last.Code != "too_many_bad_frames" || !last.Fatal {
			t.Fatalf("the 11th bad frame answered %+v, want fatal too_many_bad_frames", last)
		}
		l.expectClose(websocket.ClosePolicyViolation)
	})

	t.Run("unsupported protocol version", func(t *testing.T) {
		l := dialLink(t, srv, enroll("version"))
		l.sendJSON(protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: protocol.Version + 99,
			AgentVersion: "9.9.9", Hostname: "version", OS: "linux", Arch: "amd64"})
		if e := l.expectError(); e.Code != "invalid" || !e.Fatal {
			t.Fatalf("hello with protocol %d answered %+v", protocol.Version+99, e)
		}
		l.expectClose(websocket.ClosePolicyViolation)
	})

	t.Run("oversized frame", func(t *testing.T) {
		before := metric(t, srv, "breeze_agent_bad_frames_total")
		l := dialLink(t, srv, enroll("oversized"))
		l.hello("h1")
		big := `{"type":"inventory","full":true,"software":[{"name":"` + strings.Repeat("a", protocol.MaxAgentFrame) + `"}]}`
		_ = l.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = l.c.WriteMessage(websocket.TextMessage, []byte(big)) // the server may hang up mid-frame
		err := l.readUntilError()
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("oversized frame: close code %d, want %d", ce.Code, websocket.CloseMessageTooBig)
		}
		eventually(t, 5*time.Second, "oversized frame counted", func() (bool, string) {
			n := metric(t, srv, "breeze_agent_bad_frames_total")
			return n > before, fmt.Sprintf("bad frames %v → %v", before, n)
		})
	})

	t.Run("heartbeat naming another device", func(t *testing.T) {
		mine, victim := enroll("hb-mine"), enroll("hb-victim")
		since := time.Now().Add(-time.Minute)
		l := dialLink(t, srv, mine)
		l.hello("h1")
		// The protocol has no device id in a heartbeat; fields naming
		// another device are ignored and the sample is the link's own.
		l.sendJSON(map[string]any{"type": "heartbeat", "deviceId": victim.DeviceID, "device_id": victim.DeviceID,
			"at": time.Now().UTC(), "cpuPercent": 42.5, "memoryTotal": 100, "memoryUsed": 50})
		eventually(t, 10*time.Second, "the heartbeat stored for the linked device", func() (bool, string) {
			n := api.metricSamples(mine.DeviceID, since)
			return n == 1, fmt.Sprintf("%d samples", n)
		})
		if n := api.metricSamples(victim.DeviceID, since); n != 0 {
			t.Fatalf("the other device got %d samples from this link", n)
		}
		if d := api.device(victim.DeviceID); d.Status != "pending" {
			t.Fatalf("the other device's status changed to %q", d.Status)
		}
	})

	t.Run("flood", func(t *testing.T) {
		before := metric(t, srv, "breeze_agent_links_flooded_total")
		dev := enroll("flood")
		since := time.Now().Add(-time.Minute)
		l := dialLink(t, srv, dev)
		l.hello("h1")
		hb, _ := json.Marshal(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, CPUPercent: 1, MemoryTotal: 1})
		for range 300 {
			_ = l.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if l.c.WriteMessage(websocket.TextMessage, hb) != nil {
				break // the server hung up
			}
		}
		if e := l.expectError(); e.Code != "rate_limited" || !e.Fatal {
			t.Fatalf("flood answered %+v, want fatal rate_limited", e)
		}
		l.expectClose(websocket.ClosePolicyViolation)
		eventually(t, 5*time.Second, "flood counted", func() (bool, string) {
			n := metric(t, srv, "breeze_agent_links_flooded_total")
			return n > before, fmt.Sprintf("flooded links %v → %v", before, n)
		})
		time.Sleep(1500 * time.Millisecond) // one batch-writer flush
		if n := api.metricSamples(dev.DeviceID, since); n > 120 {
			t.Fatalf("a flooding link stored %d samples; the limit is 120 frames a minute", n)
		}
	})

	t.Run("a newer link replaces the older", func(t *testing.T) {
		dev := enroll("replace")
		old := dialLink(t, srv, dev)
		old.hello("h1")
		fresh := dialLink(t, srv, dev)
		fresh.hello("h2")
		if e := old.expectError(); e.Code != "replaced" || !e.Fatal {
			t.Fatalf("the older link was told %+v", e)
		}
		old.expectClose(websocket.ClosePolicyViolation)
		fresh.hello("h3")
	})

	t.Run("still healthy", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			if c := status(srv.url + p); c != http.StatusOK {
				t.Fatalf("%s answered %d after the attacks", p, c)
			}
		}
		l := dialLink(t, srv, enroll("good"))
		w := l.hello("h1")
		if w.HeartbeatInterval < 1 || !w.InventoryWanted {
			t.Fatalf("welcome %+v", w)
		}
	})
}

// link is a raw agent link.
type link struct {
	t *testing.T
	c *websocket.Conn
}

func dialLink(t *testing.T, s *server, dev protocol.EnrollResponse) *link {
	t.Helper()
	c, res, err := websocket.DefaultDialer.Dial(wsURL(s, dev.DeviceID), bearer(dev.AgentToken))
	if err != nil {
		t.Fatalf("dial the link: %v (status %s)", err, statusOf(res))
	}
	t.Cleanup(func() { c.Close() })
	return &link{t: t, c: c}
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func withOrigin(h http.Header) http.Header {
	h.Set("Origin", "https://evil.example.com")
	return h
}

func (l *link) send(kind int, data []byte) {
	l.t.Helper()
	_ = l.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := l.c.WriteMessage(kind, data); err != nil {
		l.t.Fatalf("write a frame: %v", err)
	}
}

func (l *link) sendJSON(v any) {
	l.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		l.t.Fatal(err)
	}
	l.send(websocket.TextMessage, b)
}

// next reads the next text frame within 5 s.
func (l *link) next() (string, []byte) {
	l.t.Helper()
	for {
		_ = l.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		kind, data, err := l.c.ReadMessage()
		if err != nil {
			l.t.Fatalf("read a frame: %v", err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		typ, err := protocol.PeekType(data)
		if err != nil {
			l.t.Fatalf("the server sent a frame without a type: %s", data)
		}
		return typ, data
	}
}

// hello sends hello and returns the welcome, which must echo the id.
func (l *link) hello(id string) protocol.Welcome {
	l.t.Helper()
	l.sendJSON(protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: id}, ProtocolVersion: protocol.Version,
		AgentVersion: "0.0.0-e2e", Hostname: "e2e-raw", OS: "linux", Arch: "amd64", Capabilities: []string{"heartbeat"}})
	typ, data := l.next()
	if typ != protocol.TypeWelcome {
		l.t.Fatalf("hello answered %s", data)
	}
	var w protocol.Welcome
	if err := json.Unmarshal(data, &w); err != nil {
		l.t.Fatal(err)
	}
	if w.ID != id {
		l.t.Fatalf("welcome id %q, want %q", w.ID, id)
	}
	return w
}

// expectError reads until an error frame and returns it.
func (l *link) expectError() protocol.Error {
	l.t.Helper()
	for {
		typ, data := l.next()
		if typ != protocol.TypeError {
			continue
		}
		var e protocol.Error
		if err := json.Unmarshal(data, &e); err != nil {
			l.t.Fatal(err)
		}
		return e
	}
}

// readUntilError reads (and drops) frames until the link fails, within 5 s.
func (l *link) readUntilError() error {
	l.t.Helper()
	for {
		_ = l.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := l.c.ReadMessage(); err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				l.t.Fatal("the server did not close the link within 5s")
			}
			return err
		}
	}
}

// expectClose reads until the server closes the link with code.
func (l *link) expectClose(code int) {
	l.t.Helper()
	err := l.readUntilError()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code {
		l.t.Fatalf("link ended with %v, want close code %d", err, code)
	}
}

// metric reads one unlabelled sample from the server's /metrics.
func metric(t *testing.T, s *server, name string) float64 {
	t.Helper()
	res, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metric %s not exported", name)
	return 0
}
