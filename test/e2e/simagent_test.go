package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// simAgent is an agent made of the wire protocol alone, whose CPU figure
// the test sets: the alert tests need a metric they can push over a
// threshold and back, which a real machine's CPU is not. It enrolls once,
// keeps its link (relinking when it drops) and heartbeats every beat.
type simAgent struct {
	t        testing.TB
	deviceID string
	token    string
	wsURL    string
	beat     time.Duration
	cpu      atomic.Uint64 // math.Float64bits
	linked   atomic.Bool
	cancel   context.CancelFunc
	done     chan struct{}
}

// startSimAgent enrolls a simulated agent into siteID through srv and
// links it; it heartbeats every beat with cpu 5 until told otherwise.
func startSimAgent(t testing.TB, srv *server, api *client, siteID, hostname string, beat time.Duration) *simAgent {
	t.Helper()
	body, _ := json.Marshal(protocol.EnrollRequest{EnrollmentKey: api.mintKey(siteID, 1), Hostname: hostname,
		OS: "linux", Arch: "amd64", AgentVersion: "0.0.0-e2e"})
	res, err := http.Post(srv.url+protocol.EnrollPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("enroll %s: %v", hostname, err)
	}
	var out protocol.EnrollResponse
	err = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("enroll %s: %d %v", hostname, res.StatusCode, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &simAgent{t: t, deviceID: out.DeviceID, token: out.AgentToken, beat: beat, cancel: cancel, done: make(chan struct{}),
		wsURL: "ws://" + strings.TrimPrefix(srv.url, "http://") + fmt.Sprintf(protocol.LinkPath, out.DeviceID)}
	a.setCPU(5)
	go a.run(ctx)
	t.Cleanup(func() { cancel(); <-a.done })
	eventually(t, 20*time.Second, hostname+" linked", func() (bool, string) { return a.linked.Load(), "not linked" })
	return a
}

func (a *simAgent) setCPU(v float64) { a.cpu.Store(math.Float64bits(v)) }

func (a *simAgent) run(ctx context.Context) {
	defer close(a.done)
	for ctx.Err() == nil {
		if err := a.link(ctx); err != nil && ctx.Err() == nil {
			a.linked.Store(false)
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
}

// link holds one link until it fails or ctx ends.
func (a *simAgent) link(ctx context.Context) error {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.token)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, _, err := websocket.DefaultDialer.DialContext(dctx, a.wsURL, h)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	var wmu sync.Mutex
	write := func(v any) error {
		b, _ := json.Marshal(v)
		wmu.Lock()
		defer wmu.Unlock()
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	if err := write(protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: protocol.Version,
		AgentVersion: "0.0.0-e2e", Hostname: "sim", OS: "linux", Arch: "amd64", Capabilities: []string{"heartbeat"}}); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	errc := make(chan error, 1)
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				errc <- err
				return
			}
			typ, _ := protocol.PeekType(data)
			switch typ {
			case protocol.TypeWelcome:
				a.linked.Store(true)
			case protocol.TypePing:
				var hd protocol.Header
				_ = json.Unmarshal(data, &hd)
				_ = write(protocol.Pong{Header: protocol.Header{Type: protocol.TypePong, ID: hd.ID}})
			}
		}
	}()
	tick := time.NewTicker(a.beat)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			return err
		case <-tick.C:
			if !a.linked.Load() {
				continue
			}
			if err := write(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, At: time.Now().UTC(),
				CPUPercent: math.Float64frombits(a.cpu.Load()), MemoryTotal: 8 << 30, MemoryUsed: 2 << 30,
				Disks: []protocol.DiskUsage{{Mount: "/", FSType: "ext4", Total: 100 << 30, Used: 40 << 30}}}); err != nil {
				return err
			}
		}
	}
}

// alertReceiver is a webhook receiver counting notifications per alert and
// status (the webhook plugin's labels carry the alert id).
type alertReceiver struct {
	mu     sync.Mutex
	counts map[string]int // alertId + " " + status
	total  int
}

func (r *alertReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var p struct {
		Status string            `json:"status"`
		Test   bool              `json:"test"`
		Labels map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(req.Body).Decode(&p); err != nil || p.Test {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[p.Labels["alertId"]+" "+p.Status]++
	r.total++
}

// got is how many notifications with status came for alertID.
func (r *alertReceiver) got(alertID, status string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[alertID+" "+status]
}

func (r *alertReceiver) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d notifications: %v", r.total, r.counts)
}
