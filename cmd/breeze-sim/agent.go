package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/protocol"
)

// agent is one simulated agent. One goroutine runs it (dialling, then
// reading its link); heartbeats are written from a runtime timer
// (time.AfterFunc), so an idle agent costs its reader's stack, its
// connection and a timer.
type agent struct {
	s        *shard
	idx      int // global index (source address, hostname)
	local    int // index within the shard (stats slices)
	deviceID string
	token    string
	srv      int    // index in the shard's wsBases of the server dialled next (run's goroutine only)
	tried    uint64 // servers that failed in this round, by bit (run's goroutine only)

	mu       sync.Mutex // serialises writes; guards the fields below
	conn     *websocket.Conn
	gen      uint32 // link generation: a stale timer does nothing
	interval time.Duration
	timer    *time.Timer
	beats    uint32
	rem      *remoteMem    // recent commands; nil until the first
	al       *alertMark    // alerts phase: hot/calm bookkeeping; nil until picked
	held     chan struct{} // alerts phase: dropped; reconnect once closed

	version string // the agent version in hello ("" : simVersion); an update changes it
	restart bool   // an update "restarted" the agent: relink at once

	// Restart bookkeeping (under mu).
	expected bool // linked when the restart test was armed
	lost     bool // disconnected since
}

// Errors of one link attempt.
var (
	errRefused = errors.New("token refused")
	errShed    = errors.New("server shed the connection")
)

type shedError struct{ wait time.Duration }

func (e *shedError) Error() string { return fmt.Sprintf("shed; retry in %s", e.wait) }
func (e *shedError) Unwrap() error { return errShed }

// Reconnects follow the real agent: full jitter, base 1 s, cap 5 min, the
// attempt counter reset after a link that lasted a minute.
var policy = backoff.Policy{Base: time.Second, Cap: 5 * time.Minute}

const (
	writeTimeout  = 10 * time.Second
	helloTimeout  = 30 * time.Second
	stableAfter   = time.Minute
	readSlack     = 15 * time.Second
	minReadWindow = 60 * time.Second
)

// dialer is shared: small buffers, and a write buffer borrowed from a pool
// only while a frame is written.
var dialer = &websocket.Dialer{
	NetDialContext:   dialContext,
	HandshakeTimeout: 30 * time.Second,
	ReadBufferSize:   512,
	WriteBufferSize:  1024,
	WriteBufferPool:  &sync.Pool{},
}

// run keeps the agent linked until ctx ends or its token is refused.
func (a *agent) run(ctx context.Context) {
	st := &a.s.st
	firstStart := time.Now()
	linkedOnce := false
	attempt := 0
	for ctx.Err() == nil {
		start := time.Now()
		conn, w, err := a.dial(ctx)
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			return
		}
		if err != nil {
			var shed *shedError
			var wait time.Duration
			switch {
			case errors.Is(err, errRefused):
				st.refused.Add(1)
				a.s.giveUp(a)
				return
			case errors.As(err, &shed):
				st.shed.Add(1)
				wait = shed.wait + backoff.Jitter(policy.Base)
			case !a.advance():
				// Like the real agent (agent/link): another server of the
				// deployment is left in this round, so try it soon without
				// growing the backoff.
				st.dialFailures.Add(1)
				a.s.noteError(err)
				wait = backoff.Jitter(policy.Base)
			default:
				st.dialFailures.Add(1)
				a.s.noteError(err)
				wait = policy.Delay(attempt)
				attempt++
			}
			if !linkedOnce && time.Since(firstStart) > a.s.cfg.linkTimeout {
				a.s.giveUp(a)
			}
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		now := time.Now()
		a.tried = 0 // linked: a later failure starts a new round
		if linkedOnce {
			st.reconnects.Add(1)
		} else {
			linkedOnce = true
			a.s.firstLinked(a, now.Sub(start), now.Sub(firstStart))
		}
		linkedAt := now
		a.serve(ctx, conn, w)
		if ctx.Err() != nil {
			return
		}
		st.disconnects.Add(1)
		if held := a.heldChan(); held != nil {
			// Dropped by the alerts phase: offline until told to rejoin,
			// then back at once (the outage is over).
			select {
			case <-ctx.Done():
				return
			case <-held:
			}
			a.mu.Lock()
			a.held = nil
			a.mu.Unlock()
			attempt = 0
			continue
		}
		if a.takeRestart() {
			// The restarted agent's first dial waits 0–5 s, like the real
			// agent's (a fleet never relinks in one burst).
			attempt = 0
			if !sleep(ctx, rand.N(restartJitter)) {
				return
			}
			continue
		}
		if time.Since(linkedAt) >= stableAfter {
			attempt = 0
		}
		wait := policy.Delay(attempt)
		attempt++
		if !sleep(ctx, wait) {
			return
		}
	}
}

// advance moves to another server after a failed dial, drawn among those
// not tried in this round; it reports whether a whole round has failed
// (the agent is then back on its home server), as agent/link's
// servers.advance does. One server: always wrapped.
func (a *agent) advance() (wrapped bool) {
	n := len(a.s.wsBases)
	if n > 64 { // beyond the bit set: in order
		a.srv = (a.srv + 1) % n
		return a.srv == a.idx%n
	}
	a.tried |= 1 << a.srv
	left := 0
	for i := range n {
		if a.tried&(1<<i) == 0 {
			left++
		}
	}
	if left == 0 {
		a.srv, a.tried = a.idx%n, 0
		return true
	}
	k := rand.IntN(left)
	for i := range n {
		if a.tried&(1<<i) == 0 {
			if k == 0 {
				a.srv = i
				break
			}
			k--
		}
	}
	return false
}

// dial opens the link and exchanges hello and welcome.
func (a *agent) dial(ctx context.Context) (*websocket.Conn, *protocol.Welcome, error) {
	st := &a.s.st
	st.dials.Add(1)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.token)
	u := a.s.wsBases[a.srv] + fmt.Sprintf(protocol.LinkPath, a.deviceID)
	dctx, cancel := context.WithTimeout(withSource(ctx, srcIP(a.idx, a.s.cfg.srcFirst)), 45*time.Second)
	defer cancel()
	conn, res, err := dialer.DialContext(dctx, u, h)
	if err != nil {
		if res != nil {
			switch res.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, nil, errRefused
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
				wait, ok := backoff.RetryAfter(res.Header, time.Now(), time.Hour)
				if !ok {
					wait = policy.Base
				}
				return nil, nil, &shedError{wait: wait}
			}
			return nil, nil, fmt.Errorf("upgrade answered %s", res.Status)
		}
		return nil, nil, err
	}
	conn.SetReadLimit(protocol.MaxServerFrame)
	hello, _ := json.Marshal(protocol.Hello{
		Header:          protocol.Header{Type: protocol.TypeHello, ID: "h"},
		ProtocolVersion: protocol.Version, AgentVersion: a.agentVersion(),
		Hostname: a.hostname(), OS: "linux", Arch: "amd64",
		Capabilities: []string{"heartbeat", "inventory", "commands", "scripts:sh", "terminal"},
	})
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, hello); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("send hello: %w", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(helloTimeout))
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("wait for welcome: %w", err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		typ, _ := protocol.PeekType(data)
		switch typ {
		case protocol.TypeWelcome:
			var w protocol.Welcome
			if err := json.Unmarshal(data, &w); err != nil {
				conn.Close()
				return nil, nil, fmt.Errorf("malformed welcome: %w", err)
			}
			return conn, &w, nil
		case protocol.TypeError:
			st.errorFrames.Add(1)
			var e protocol.Error
			_ = json.Unmarshal(data, &e)
			conn.Close()
			if e.Code == "unauthenticated" || e.Code == "decommissioned" {
				return nil, nil, errRefused
			}
			return nil, nil, fmt.Errorf("server refused hello: %s: %s", e.Code, e.Message)
		case protocol.TypePing:
			a.pong(conn, data)
		}
	}
}

// serve runs a linked agent until its link ends.
func (a *agent) serve(ctx context.Context, conn *websocket.Conn, w *protocol.Welcome) {
	st := &a.s.st
	interval := a.s.cfg.interval
	if interval == 0 {
		interval = time.Duration(w.HeartbeatInterval) * time.Second
		if w.HeartbeatIntervalMs > 0 {
			interval = time.Duration(w.HeartbeatIntervalMs) * time.Millisecond
		}
	}
	interval = max(interval, 100*time.Millisecond)
	readWindow := max(2*interval, minReadWindow) + readSlack
	extend := func() { _ = conn.SetReadDeadline(time.Now().Add(readWindow)) }
	conn.SetPingHandler(func(data string) error {
		extend()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	extend()

	a.mu.Lock()
	a.conn = conn
	a.gen++
	a.interval = interval
	gen := a.gen
	// One heartbeat right away, like the real agent, then every interval
	// (with jitter) from a random phase, so the fleet does not beat in step.
	a.writeHeartbeat(conn)
	a.timer = time.AfterFunc(rand.N(interval)+1, func() { a.beat(gen) })
	if w.InventoryWanted {
		if a.write(conn, inventoryFrame(a)) {
			st.inventories.Add(1)
		}
	}
	a.mu.Unlock()
	a.s.linked(a)

	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			break
		}
		received := time.Now() // a command's dispatch latency ends here
		extend()
		if kind != websocket.TextMessage {
			continue
		}
		typ, _ := protocol.PeekType(data)
		if isRemoteFrame(typ) {
			a.handleRemote(conn, typ, data, received)
			continue
		}
		switch typ {
		case protocol.TypeUpdate:
			a.update(conn, data)
		case protocol.TypePing:
			a.mu.Lock()
			a.pong(conn, data)
			a.mu.Unlock()
		case protocol.TypeError:
			st.errorFrames.Add(1)
			var e protocol.Error
			if json.Unmarshal(data, &e) == nil && e.Fatal {
				a.s.noteError(fmt.Errorf("fatal error frame: %s: %s", e.Code, e.Message))
			}
		}
	}
	a.mu.Lock()
	a.conn = nil
	a.gen++
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.mu.Unlock()
	conn.Close()
	a.s.unlinked(a)
}

// beat writes one heartbeat and schedules the next; called by the timer.
func (a *agent) beat(gen uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen || a.conn == nil {
		return
	}
	if !a.writeHeartbeat(a.conn) {
		return
	}
	j := a.s.cfg.jitter
	next := time.Duration(float64(a.interval) * (1 - j + 2*j*rand.Float64()))
	a.timer.Reset(max(next, time.Millisecond))
}

// writeHeartbeat sends a heartbeat (a.mu held); a failed write closes the
// connection, which ends the reader.
func (a *agent) writeHeartbeat(conn *websocket.Conn) bool {
	a.beats++
	now := time.Now() // the sample's time, and its send time
	if !a.write(conn, heartbeatFrame(a, now, a.cpuPercent())) {
		a.s.st.heartbeatErrors.Add(1)
		return false
	}
	a.s.st.heartbeats.Add(1)
	if a.al != nil {
		if smp, ok := a.al.sent(now); ok {
			smp.Device = a.deviceID
			a.s.noteAlertSample(smp)
		}
	}
	return true
}

// write sends one text frame (a.mu held).
func (a *agent) write(conn *websocket.Conn, data []byte) bool {
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		conn.Close()
		return false
	}
	return true
}

// pong answers an application-level ping with its id (a.mu held, or
// before the link is shared).
func (a *agent) pong(conn *websocket.Conn, ping []byte) {
	var h protocol.Header
	_ = json.Unmarshal(ping, &h)
	b, _ := json.Marshal(protocol.Pong{Header: protocol.Header{Type: protocol.TypePong, ID: h.ID}})
	if a.write(conn, b) {
		a.s.st.pongs.Add(1)
	}
}

// close ends the agent's link, if any (shutdown).
func (a *agent) close() {
	a.mu.Lock()
	c := a.conn
	a.mu.Unlock()
	if c != nil {
		_ = c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "simulation over"), time.Now().Add(time.Second))
		c.Close()
	}
}

func (a *agent) hostname() string { return fmt.Sprintf("sim-%06d", a.idx) }

const simVersion = "0.0.0-sim"

// restartJitter bounds the first dial of an agent restarted by an update
// (the real agent's first-dial jitter).
const restartJitter = 5 * time.Second

func heartbeatFrame(a *agent, at time.Time, cpu float64) []byte {
	up := uint64(3600 + int(a.beats)*60)
	b, _ := json.Marshal(protocol.Heartbeat{
		Header:      protocol.Header{Type: protocol.TypeHeartbeat},
		At:          at.UTC(),
		CPUPercent:  cpu,
		MemoryTotal: 8 << 30, MemoryUsed: uint64(1<<30 + rand.IntN(4<<30)),
		Disks:   []protocol.DiskUsage{{Mount: "/", FSType: "ext4", Total: 100 << 30, Used: 40 << 30}},
		Network: []protocol.NetRate{{Interface: "eth0", RxBps: float64(rand.IntN(100000)), TxBps: float64(rand.IntN(50000))}},
		Load1:   rand.Float64(), Load5: 0.5, Load15: 0.4,
		UptimeSeconds: up, ProcessCount: 120 + rand.IntN(40),
	})
	return b
}

func inventoryFrame(a *agent) []byte {
	b, _ := json.Marshal(protocol.Inventory{
		Header: protocol.Header{Type: protocol.TypeInventory},
		Full:   true, At: time.Now().UTC(),
		OS:          &protocol.OSInfo{Name: "linux", Platform: "debian", Version: "12", KernelVersion: "6.1.0", Hostname: a.hostname()},
		CPU:         &protocol.CPUInfo{Model: "Simulated CPU", Cores: 2, Threads: 4},
		MemoryTotal: 8 << 30,
		Disks:       []protocol.Disk{{Name: "vda", Size: 100 << 30}},
		Filesystems: []protocol.Filesystem{{Mount: "/", Device: "/dev/vda1", FSType: "ext4", Total: 100 << 30}},
		Interfaces: []protocol.NetInterface{{Name: "eth0", MAC: fmt.Sprintf("02:00:%02x:%02x:%02x:%02x",
			byte(a.idx>>24), byte(a.idx>>16), byte(a.idx>>8), byte(a.idx)), Addresses: []string{"10.0.0.2/24"}}},
		Software: []protocol.SoftwarePackage{
			{Name: "openssh-server", Version: "1:9.2p1-2", Source: "dpkg"},
			{Name: "curl", Version: "7.88.1-10", Source: "dpkg"},
		},
	})
	return b
}

// sleep waits d or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// wsURL turns the server's http(s) URL into ws(s).
func wsURL(server string) string {
	if rest, ok := strings.CutPrefix(server, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(server, "http://")
}

// counters are a shard's tallies.
type counters struct {
	dials, dialFailures, shed, refused                 atomic.Uint64
	heartbeats, heartbeatErrors, inventories, pongs    atomic.Uint64
	reconnects, disconnects, errorFrames, enrollFailed atomic.Uint64
	// remote work
	commands, commandRepeats, echoes                    atomic.Uint64
	terminalsOpened, terminalsClosed, remoteWriteErrors atomic.Uint64
}
