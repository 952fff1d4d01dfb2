package link

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	link *Link
	logs *syncBuffer
	stop func()
}

// start runs a link against srv with fast test settings; mutate adjusts them.
// The cleanup stops it and checks that the token never reached the log.
func start(t *testing.T, srv *fakeServer, sampler Sampler, mutate func(*Options)) *running {
	t.Helper()
	logs := &syncBuffer{}
	opts := Options{
		ServerURL:    srv.srv.URL,
		DeviceID:     testDevice,
		Token:        config.Secret(testToken),
		AgentVersion: "test",
		Logger:       hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace}),
		Sampler:      sampler,
		Heartbeat:    time.Hour, // the server's welcome must set the pace
		Backoff:      backoff.Policy{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond},
		FirstJitter:  -1,
		DrainSpacing: -1,
	}
	if mutate != nil {
		mutate(&opts)
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("agent token in the log:\n%s", logs.String())
		}
	})
	return &running{link: l, logs: logs, stop: stop}
}

func TestHelloWelcomeAndHeartbeatsAtServerInterval(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{DeviceID: testDevice, HeartbeatInterval: 60, HeartbeatIntervalMs: 50})
	var got time.Duration
	var mu sync.Mutex
	r := start(t, srv, &seqSampler{}, func(o *Options) {
		o.OnInterval = func(d time.Duration) { mu.Lock(); got = d; mu.Unlock() }
	})

	first := <-srv.frames
	if first.typ != protocol.TypeHello {
		t.Fatalf("first frame is %s, want hello", first.typ)
	}
	h := decode[protocol.Hello](t, first.raw)
	if h.ProtocolVersion != protocol.Version || h.AgentVersion != "test" || h.OS != runtime.GOOS ||
		h.Arch != runtime.GOARCH || h.Hostname == "" || len(h.Capabilities) == 0 {
		t.Errorf("hello = %+v", h)
	}
	// The agent started with a 1 h interval: six heartbeats within 2 s can
	// only mean it follows the welcome's 50 ms.
	var ats []time.Time
	for i := 0; i < 6; i++ {
		hb := decode[protocol.Heartbeat](t, srv.next(protocol.TypeHeartbeat, 2*time.Second).raw)
		ats = append(ats, hb.At)
	}
	// After the immediate one on connect, they follow the interval (on
	// average: a late tick makes the next gap shorter).
	if avg := ats[5].Sub(ats[1]) / 4; avg < 40*time.Millisecond {
		t.Errorf("heartbeats on average %v apart, faster than the 50ms asked", avg)
	}
	if r.link.Interval() != 50*time.Millisecond {
		t.Errorf("interval = %v", r.link.Interval())
	}
	mu.Lock()
	defer mu.Unlock()
	if got != 50*time.Millisecond {
		t.Errorf("OnInterval told %v", got)
	}
}

func TestPingPongAndUnknownFramesIgnored(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	r := start(t, srv, &seqSampler{}, nil)
	srv.next(protocol.TypeHello, 2*time.Second)
	time.Sleep(50 * time.Millisecond) // let the welcome land
	srv.sendRaw(1, 1, []byte(`{"type":"frobnicate","id":"x","what":1}`))
	srv.sendRaw(1, 1, []byte(`{not json`))
	srv.sendRaw(1, 1, []byte(`{"id":"no type"}`))
	srv.sendRaw(1, 2, []byte{0, 1, 2}) // binary
	srv.send(1, protocol.Error{Header: protocol.Header{Type: protocol.TypeError, ID: "f1"}, Code: "invalid", Message: "bad frame"})
	srv.send(1, protocol.Ping{Header: protocol.Header{Type: protocol.TypePing, ID: "p-42"}})
	pong := srv.next(protocol.TypePong, 2*time.Second)
	if p := decode[protocol.Pong](t, pong.raw); p.ID != "p-42" {
		t.Errorf("pong id %q", p.ID)
	}
	if pong.conn != 1 {
		t.Errorf("pong on connection %d: the junk frames broke the link", pong.conn)
	}
	logs := r.logs.String()
	for _, want := range []string{"frobnicate", "malformed", "bad frame"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log does not mention %q:\n%s", want, logs)
		}
	}
}

func TestReconnectAfterServerDropsConnection(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	start(t, srv, &seqSampler{}, nil)
	if f := srv.next(protocol.TypeHello, 2*time.Second); f.conn != 1 {
		t.Fatalf("hello on conn %d", f.conn)
	}
	srv.next(protocol.TypeHeartbeat, 2*time.Second) // linked
	srv.drop(1)
	if f := srv.next(protocol.TypeHello, 3*time.Second); f.conn != 2 {
		t.Fatalf("second hello on conn %d", f.conn)
	}
	srv.next(protocol.TypeHeartbeat, 2*time.Second)
	srv.drop(2)
	if f := srv.next(protocol.TypeHello, 3*time.Second); f.conn != 3 {
		t.Fatalf("third hello on conn %d", f.conn)
	}
}

// Heartbeats taken while the server is away arrive after it returns, oldest
// first, none lost or repeated, each with the time it was taken.
func TestBufferedHeartbeatsDeliveredInOrderAfterOutage(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatIntervalMs: 20})
	sampler := &seqSampler{}
	start(t, srv, sampler, nil)
	srv.next(protocol.TypeHeartbeat, 2*time.Second)

	srv.setRefuse(func(int) *refusal { return &refusal{status: 503} })
	outageStart := time.Now()
	srv.goAway(1)
	time.Sleep(400 * time.Millisecond) // ~20 heartbeats while refused
	outageEnd := time.Now()
	srv.setRefuse(nil)

	var seqs []int
	var duringOutage int
	var lastAt time.Time
	deadline := time.After(5 * time.Second)
	for len(seqs) == 0 || seqs[len(seqs)-1] < sampler.count()-1 || len(seqs) < 30 {
		select {
		case f := <-srv.frames:
			if f.typ != protocol.TypeHeartbeat {
				continue
			}
			hb := decode[protocol.Heartbeat](t, f.raw)
			seqs = append(seqs, hb.ProcessCount)
			if !hb.At.After(lastAt) {
				t.Fatalf("heartbeat %d at %v not after previous %v", hb.ProcessCount, hb.At, lastAt)
			}
			lastAt = hb.At
			if f.conn >= 2 && hb.At.After(outageStart.Add(30*time.Millisecond)) && hb.At.Before(outageEnd) {
				duringOutage++
				if !f.at.After(outageEnd) {
					t.Errorf("heartbeat %d taken during the outage arrived before it ended", hb.ProcessCount)
				}
			}
		case <-deadline:
			t.Fatalf("timed out; got %v, sampled %d", seqs, sampler.count())
		}
	}
	// The first one was read before the outage; from there on every number
	// arrives exactly once and in order.
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence broken at %d: %v", i, seqs)
		}
	}
	if duringOutage < 10 {
		t.Errorf("only %d heartbeats from the outage were delivered", duringOutage)
	}
}

func TestBoundedBufferDropsOldest(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatIntervalMs: 3_600_000})
	srv.setRefuse(func(int) *refusal { return &refusal{status: 503} })
	sampler := &seqSampler{}
	r := start(t, srv, sampler, func(o *Options) {
		o.Heartbeat = 10 * time.Millisecond // offline cadence until a welcome
		o.BufferSize = 5
	})
	deadline := time.Now().Add(3 * time.Second)
	for sampler.count() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := r.link.Buffered(); n != 5 {
		t.Fatalf("buffered %d, want the bound 5", n)
	}
	if !strings.Contains(r.logs.String(), "dropping the oldest") {
		t.Error("no log line about dropping")
	}
	srv.setRefuse(nil)
	// Five arrive: the ring's content (the sample taken on connect may push
	// out one more old one, which is the policy too).
	var seqs []int
	for len(seqs) < 5 {
		seqs = append(seqs, decode[protocol.Heartbeat](t, srv.next(protocol.TypeHeartbeat, 3*time.Second).raw).ProcessCount)
	}
	// The first delivered is recent (the oldest were dropped), the rest follow in order.
	if seqs[0] < 15 {
		t.Errorf("oldest heartbeats were kept: %v", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("out of order: %v", seqs)
		}
	}
}

func TestRingDropsOldestAndAckIsSafe(t *testing.T) {
	r := NewRing(3)
	for i := 1; i <= 5; i++ {
		dropped := r.Push(protocol.Heartbeat{ProcessCount: i})
		if dropped != (i > 3) {
			t.Errorf("push %d dropped=%v", i, dropped)
		}
	}
	hb, seq, ok := r.Peek()
	if !ok || hb.ProcessCount != 3 || r.Len() != 3 {
		t.Fatalf("peek = %+v %v len %d", hb, ok, r.Len())
	}
	// While "3" is being written, a push drops it: the Ack must not remove "4".
	r.Push(protocol.Heartbeat{ProcessCount: 6})
	r.Ack(seq)
	var got []int
	for {
		hb, seq, ok := r.Peek()
		if !ok {
			break
		}
		got = append(got, hb.ProcessCount)
		r.Ack(seq)
	}
	if len(got) != 3 || got[0] != 4 || got[1] != 5 || got[2] != 6 {
		t.Errorf("drained %v, want [4 5 6]", got)
	}
}

func TestTokenRejectedStopsFastReconnects(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 60})
	r := start(t, srv, &seqSampler{}, func(o *Options) {
		o.Token = config.Secret("brz_revoked_token_value_also_secret")
		o.RevokedDelay = time.Hour
	})
	time.Sleep(500 * time.Millisecond) // the 10 ms backoff would have made ~20 attempts
	if n := len(srv.attemptTimes()); n != 1 {
		t.Fatalf("%d attempts after a 401, want 1", n)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "re-enroll") || !strings.Contains(logs, "revoked") {
		t.Errorf("no clear log line:\n%s", logs)
	}
	if strings.Contains(logs, "brz_revoked_token_value_also_secret") {
		t.Error("token logged")
	}
	// Stopping during the long wait is immediate.
	begin := time.Now()
	r.stop()
	if time.Since(begin) > time.Second {
		t.Errorf("stop took %v", time.Since(begin))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	srv.setRefuse(func(n int) *refusal {
		if n == 1 {
			return &refusal{status: 429, retryAfter: "1"}
		}
		return nil
	})
	start(t, srv, &seqSampler{}, nil)
	srv.next(protocol.TypeHello, 4*time.Second)
	at := srv.attemptTimes()
	if len(at) != 2 {
		t.Fatalf("%d attempts", len(at))
	}
	if gap := at[1].Sub(at[0]); gap < time.Second {
		t.Errorf("came back after %v; Retry-After said 1s (backoff alone would be ≤50ms)", gap)
	}

	// 503 with an HTTP date works too, and a missing header falls back to backoff.
	srv2 := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	srv2.setRefuse(func(n int) *refusal {
		if n == 1 {
			return &refusal{status: 503}
		}
		return nil
	})
	start(t, srv2, &seqSampler{}, nil)
	srv2.next(protocol.TypeHello, 2*time.Second)
	if at := srv2.attemptTimes(); at[1].Sub(at[0]) > 500*time.Millisecond {
		t.Errorf("503 without Retry-After waited %v", at[1].Sub(at[0]))
	}
}

func TestStopSendsNormalClose(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	r := start(t, srv, &seqSampler{}, nil)
	srv.next(protocol.TypeHeartbeat, 2*time.Second)
	r.stop()
	deadline := time.Now().Add(2 * time.Second)
	for len(srv.closeCodes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if codes := srv.closeCodes(); len(codes) != 1 || codes[0] != 1000 {
		t.Errorf("close codes %v, want [1000]", codes)
	}
}

func TestOversizedServerFrameIsRefused(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	start(t, srv, &seqSampler{}, nil)
	srv.next(protocol.TypeHeartbeat, 2*time.Second)
	big := []byte(`{"type":"ping","id":"` + strings.Repeat("x", protocol.MaxServerFrame) + `"}`)
	srv.sendRaw(1, 1, big)
	// The agent drops that link (read limit) and comes back on a new one.
	if f := srv.next(protocol.TypeHello, 3*time.Second); f.conn != 2 {
		t.Fatalf("hello on conn %d", f.conn)
	}
}

func TestNoGoroutineLeakAcrossReconnects(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := newFakeServer(t, protocol.Welcome{HeartbeatIntervalMs: 20})
		r := start(t, srv, &seqSampler{}, nil)
		for i := 1; i <= 5; i++ {
			if f := srv.next(protocol.TypeHello, 3*time.Second); f.conn != i {
				t.Fatalf("hello on conn %d, want %d", f.conn, i)
			}
			srv.next(protocol.TypeHeartbeat, 2*time.Second)
			if i%2 == 0 {
				srv.goAway(i)
			} else {
				srv.drop(i)
			}
		}
		srv.next(protocol.TypeHello, 3*time.Second)
		r.stop()
		srv.close()
	}()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, after, buf[:n])
	}
}

func TestNewValidates(t *testing.T) {
	ok := Options{ServerURL: "https://x", DeviceID: "d", Token: "brz_x", Sampler: &seqSampler{}}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Options){
		"no sampler": func(o *Options) { o.Sampler = nil },
		"no token":   func(o *Options) { o.Token = "" },
		"no device":  func(o *Options) { o.DeviceID = "" },
		"bad url":    func(o *Options) { o.ServerURL = "ws://x" },
	} {
		o := ok
		mut(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLinkURL(t *testing.T) {
	cases := map[string]string{
		"https://rmm.example.com":       "wss://rmm.example.com/api/v1/agents/dev%20x/ws",
		"http://127.0.0.1:8080/":        "ws://127.0.0.1:8080/api/v1/agents/dev%20x/ws",
		"https://example.com/breeze///": "wss://example.com/breeze/api/v1/agents/dev%20x/ws",
	}
	for in, want := range cases {
		got, err := linkURL(in, "dev x")
		if err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
	if _, err := linkURL("ftp://x", "d"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestClassifyDial(t *testing.T) {
	if err := classifyDial(nil, errors.New("refused"), time.Hour); err == nil || errors.Is(err, errTokenRejected) {
		t.Errorf("network error: %v", err)
	}
}

// hugeOnce makes its second heartbeat larger than the server accepts.
type hugeOnce struct{ seqSampler }

func (h *hugeOnce) Sample(ctx context.Context) protocol.Heartbeat {
	hb := h.seqSampler.Sample(ctx)
	if hb.ProcessCount == 2 {
		hb.Disks = make([]protocol.DiskUsage, 120000) // > protocol.MaxAgentFrame (4 MiB)
		for i := range hb.Disks {
			hb.Disks[i] = protocol.DiskUsage{Mount: strings.Repeat("m", 40), FSType: "ext4"}
		}
	}
	return hb
}

func TestOversizedHeartbeatIsDroppedNotLooped(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatIntervalMs: 20})
	r := start(t, srv, &hugeOnce{}, nil)
	var seqs []int
	for len(seqs) < 3 {
		f := srv.next(protocol.TypeHeartbeat, 2*time.Second)
		if f.conn != 1 {
			t.Fatalf("link was dropped over an oversized heartbeat (conn %d)", f.conn)
		}
		seqs = append(seqs, decode[protocol.Heartbeat](t, f.raw).ProcessCount)
	}
	if seqs[0] != 1 || seqs[1] != 3 || seqs[2] != 4 {
		t.Errorf("sequence %v, want [1 3 4]", seqs)
	}
	if !strings.Contains(r.logs.String(), "too large") {
		t.Error("drop not logged")
	}
}
