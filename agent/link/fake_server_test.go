package link

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

const (
	testDevice = "0190c0de-0000-7000-8000-00000000abcd"
	testToken  = "brz_link_test_token_must_never_be_logged"
)

// frame is one frame the fake server received.
type frame struct {
	conn int // 1-based connection number
	typ  string
	raw  []byte
	at   time.Time
}

// refusal is an HTTP answer instead of an upgrade.
type refusal struct {
	status     int
	retryAfter string
}

// fakeServer follows the protocol's server side closely enough to test the
// agent: bearer auth on the device's path, hello → welcome, a reader per
// connection (gorilla answers WebSocket pings), and hooks to refuse, drop
// or send.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	welcome  protocol.Welcome
	refuse   func(attempt int) *refusal // nil: accept
	attempts []time.Time
	conns    []*websocket.Conn
	writeMu  map[*websocket.Conn]*sync.Mutex
	closes   []int // close codes received from the agent

	frames chan frame
	wg     sync.WaitGroup
}

func newFakeServer(t *testing.T, welcome protocol.Welcome) *fakeServer {
	t.Helper()
	welcome.Type = protocol.TypeWelcome
	f := &fakeServer{t: t, welcome: welcome, frames: make(chan frame, 10000), writeMu: map[*websocket.Conn]*sync.Mutex{}}
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+fmt.Sprintf(protocol.LinkPath, "{id}"), func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.attempts = append(f.attempts, time.Now())
		n := len(f.attempts)
		refuse := f.refuse
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken || r.PathValue("id") != testDevice {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if refuse != nil {
			if rf := refuse(n); rf != nil {
				if rf.retryAfter != "" {
					w.Header().Set("Retry-After", rf.retryAfter)
				}
				http.Error(w, "refused", rf.status)
				return
			}
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.wg.Add(1)
		defer f.wg.Done()
		f.serve(conn)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.close)
	return f
}

func (f *fakeServer) serve(conn *websocket.Conn) {
	defer conn.Close()
	conn.SetReadLimit(protocol.MaxAgentFrame)
	f.mu.Lock()
	f.conns = append(f.conns, conn)
	id := len(f.conns)
	f.writeMu[conn] = &sync.Mutex{}
	f.mu.Unlock()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				f.mu.Lock()
				f.closes = append(f.closes, ce.Code)
				f.mu.Unlock()
			}
			return
		}
		typ, err := protocol.PeekType(data)
		if err != nil {
			f.t.Errorf("agent sent a malformed frame: %v: %s", err, data)
			return
		}
		f.frames <- frame{conn: id, typ: typ, raw: data, at: time.Now()}
		if typ == protocol.TypeHello {
			f.mu.Lock()
			w := f.welcome
			f.mu.Unlock()
			w.ServerTime = time.Now().UTC()
			f.send(id, w)
		}
	}
}

// send writes v to connection id (1-based).
func (f *fakeServer) send(id int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.sendRaw(id, websocket.TextMessage, data)
}

func (f *fakeServer) sendRaw(id, kind int, data []byte) {
	f.mu.Lock()
	conn := f.conns[id-1]
	mu := f.writeMu[conn]
	f.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = conn.WriteMessage(kind, data)
}

// drop cuts connection id without a close frame (a crash, a lost route).
func (f *fakeServer) drop(id int) {
	f.mu.Lock()
	conn := f.conns[id-1]
	f.mu.Unlock()
	_ = conn.NetConn().Close()
}

// goAway closes connection id politely: a close frame, then the server keeps
// reading until the agent's close answer (so nothing the agent wrote before
// is lost), as a server shutting down does.
func (f *fakeServer) goAway(id int) {
	f.mu.Lock()
	conn := f.conns[id-1]
	mu := f.writeMu[conn]
	f.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	_ = conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, "restarting"), time.Now().Add(time.Second))
}

func (f *fakeServer) setRefuse(fn func(attempt int) *refusal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = fn
}

func (f *fakeServer) setWelcome(fn func(*protocol.Welcome)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.welcome)
}

func (f *fakeServer) attemptTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.attempts...)
}

func (f *fakeServer) closeCodes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.closes...)
}

func (f *fakeServer) close() {
	f.srv.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.NetConn().Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// next waits for the next frame of type typ (others are skipped).
func (f *fakeServer) next(typ string, within time.Duration) frame {
	f.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case fr := <-f.frames:
			if fr.typ == typ {
				return fr
			}
		case <-deadline:
			f.t.Fatalf("no %s frame within %v", typ, within)
			return frame{}
		}
	}
}

// seqSampler numbers its heartbeats (in ProcessCount) so tests can check
// order and loss exactly.
type seqSampler struct {
	mu  sync.Mutex
	seq int
}

func (s *seqSampler) Sample(context.Context) protocol.Heartbeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, At: time.Now().UTC(), ProcessCount: s.seq, CPUPercent: 1}
}

func (s *seqSampler) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}
