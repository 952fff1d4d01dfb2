// Package agentws is the agents' WebSocket hub: GET /api/v1/agents/:id/ws
// upgraded to the link of docs/architecture.md §5. It owns the transport (frame limits,
// deadlines, ping/pong, per-link send queues and rate limits, one live link
// per device, graceful shutdown) and hands each decoded frame to a Session,
// the agents use cases.
package agentws

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Route is the link's path template (protocol.LinkPath).
const Route = "/api/v1/agents/:id/ws"

// Session is what the hub needs from the agents use cases. deviceID is
// always the authenticated device, never an id from a frame.
type Session interface {
	Hello(ctx context.Context, deviceID string, h protocol.Hello) (protocol.Welcome, error)
	// Heartbeat queues a sample without blocking (false: dropped).
	Heartbeat(ctx context.Context, deviceID string, hb protocol.Heartbeat) bool
	Inventory(ctx context.Context, deviceID string, inv protocol.Inventory) error
	// PluginStates records the agent's report of its plugins.
	PluginStates(ctx context.Context, deviceID string, states []protocol.PluginState) error
}

// CertSession is what a Session may also do (the agents service does):
// answer a device's cert_request with a certificate for its own id.
type CertSession interface {
	RenewCert(ctx context.Context, deviceID string, req protocol.CertRequest) protocol.CertIssued
}

// Deps are the hub's collaborators.
type Deps struct {
	// Logger receives the hub's lines; nil discards them.
	Logger  hclog.Logger
	Options Options
}

// Stats are the hub's counters since start.
type Stats struct {
	Linked         int    // live links now
	Pending        int    // links upgraded whose hello is not yet answered
	Upgrades       uint64 // links opened
	Shed           uint64 // upgrades refused (storm or shutdown)
	SlowDropped    uint64 // links dropped because their send queue was full
	Flooded        uint64 // links closed for exceeding the frame limit
	BadFrames      uint64 // malformed, unknown or refused frames
	HeartbeatsLost uint64 // heartbeats the batch writer could not take
}

// Hub holds every live agent link of this node.
type Hub struct {
	log      hclog.Logger
	opts     Options
	upgrader websocket.Upgrader
	bucket   *bucket
	spread   *spread // Retry-After of shed links

	ctx    context.Context // cancelled at shutdown: frames in work stop
	cancel context.CancelFunc

	mu      sync.Mutex
	links   map[string]*link
	closing bool
	wg      sync.WaitGroup

	upgrades, shed, slow, flooded, bad, lost atomic.Uint64
	pending                                  *pendingSlots // links upgraded, hello not yet answered
	wheel                                    *wheel        // pings and hello deadlines of every link
}

// New builds a hub. Register mounts its route.
func New(d Deps) (*Hub, error) {
	opts, err := d.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	log := d.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		log: log, opts: opts, bucket: newBucket(opts.UpgradesPerSecond, opts.UpgradeBurst),
		ctx: ctx, cancel: cancel, links: map[string]*link{},
		pending: newPendingSlots(opts.MaxPendingHellos, opts.MaxPendingPerSource),
		// Until a storm measures it, the admission rate is guessed at one
		// pending place's worth per second.
		spread: newSpread(float64(opts.MaxPendingHellos), time.Second, opts.MaxRetryAfter),
	}
	h.wheel = newWheel(h)
	go h.wheel.run(ctx)
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: opts.HandshakeTimeout,
		ReadBufferSize:   opts.ReadBufferSize,
		WriteBufferSize:  opts.WriteBufferSize,
		WriteBufferPool:  &sync.Pool{},
		// Agents are not browsers: a request carrying an Origin comes from
		// a web page and has no business here.
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
	}
	return h, nil
}

// Register mounts GET /api/v1/agents/:id/ws on s with the Agent rule.
// sess serves the link's own frames; remote its remote-work frames (nil:
// they are refused as unknown types). The hub takes them here rather than
// in New because the relay that remote uses needs the hub first.
// identify returns the device the guard authenticated (the id from the
// token, already checked against the path).
func (h *Hub) Register(s *httpapi.Server, sess Session, remote Remote, identify func(c *gin.Context) string) {
	if sess == nil || identify == nil {
		panic("agentws: Register needs a Session and an identify function")
	}
	s.HandleRoute(httpapi.Route{
		Method: http.MethodGet, Path: Route, Rule: httpapi.Agent(), Name: "agents.link", Resource: "device",
		Doc: httpapi.Doc{
			Summary: "The agent's live link (WebSocket)", Tag: "Agents",
			Description: "Upgraded to a WebSocket carrying the JSON frames of the agent protocol. " +
				"Authorization: Bearer brz_... (the device's agent token; the path must name that device). " +
				"Answers 429 with Retry-After while the server sheds a reconnect storm, 503 while it shuts down.",
			Status: http.StatusSwitchingProtocols,
		},
		Admit: h.admit,
	}, func(c *gin.Context) { h.serve(c, sess, remote, identify(c)) })
}

// admit refuses, before the route's guard checks the agent token, a link
// this node would shed anyway: while it shuts down, while every place for
// a pending hello is taken (or the source's share), or while the upgrade
// bucket is empty. A reconnect storm is mostly refused here, at the cost of
// a few map lookups instead of a token lookup and a certificate check. The
// path's device id is not authenticated yet: it only lets a device's
// newer link through to take over its own pending place (serve checks
// again, for real, after authentication).
func (h *Hub) admit(c *gin.Context) {
	if h.isClosing() {
		h.refuseClosing(c)
		return
	}
	now := time.Now()
	if !h.pending.room(c.Param("id"), sourceKey(c.ClientIP())) {
		h.refuse(c, now, 0)
		return
	}
	if ok, wait := h.bucket.peek(now); !ok {
		h.refuse(c, now, wait)
		return
	}
	c.Next()
}

func (h *Hub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

func (h *Hub) refuseClosing(c *gin.Context) {
	h.shed.Add(1)
	c.Header("Retry-After", retryAfter(5))
	c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": gin.H{
		"code": httpapi.CodeNotReady, "message": "server is shutting down; reconnect later"}})
}

// refuse sheds a link with a 429 whose Retry-After is the link's place on
// the spread schedule (at least floor).
func (h *Hub) refuse(c *gin.Context, now time.Time, floor time.Duration) {
	h.shed.Add(1)
	httpapi.WriteError(c, &domain.RateLimitedError{What: "agent connection", RetryAfter: h.spread.refuse(now, floor)})
}

// serve upgrades one request and runs its link until it ends.
func (h *Hub) serve(c *gin.Context, sess Session, remote Remote, deviceID string) {
	if deviceID == "" {
		httpapi.WriteError(c, domain.Unauthenticatedf("no agent identified"))
		return
	}
	if h.isClosing() {
		h.refuseClosing(c)
		return
	}
	now := time.Now()
	// Taken before the 101, so the next dial already sees it.
	pending, ok := h.pending.acquire(deviceID, sourceKey(c.ClientIP()))
	if !ok {
		h.refuse(c, now, 0)
		return
	}
	if ok, wait := h.bucket.take(now); !ok {
		h.pending.release(pending)
		h.refuse(c, now, wait)
		return
	}
	h.spread.admit(now)
	up := h.upgrader
	up.Error = func(w http.ResponseWriter, r *http.Request, status int, reason error) {
		code := httpapi.CodeInvalid
		if status == http.StatusForbidden {
			code = httpapi.CodeForbidden
		}
		c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": reason.Error()}})
	}
	// Recorded, not written (the upgrader writes the 101 on the raw
	// connection), so the access log and metrics show the upgrade.
	c.Status(http.StatusSwitchingProtocols)
	ws, err := up.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		h.pending.release(pending)
		h.log.Debug("agent link upgrade failed", "device_id", deviceID, "error", err)
		return
	}
	// A copy: a slice of the request line would keep all of it.
	l := newLink(h, ws, strings.Clone(deviceID), remote)
	l.pending = pending // released by helloAnswered
	h.pending.attach(pending, l, time.Now())
	if !h.add(l) {
		h.pending.release(pending)
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	h.upgrades.Add(1)
	h.log.Debug("agent linked", "device_id", deviceID, "remote", c.ClientIP())
	// The link runs on its own goroutine and the request ends here: the
	// HTTP server's per-connection state, the request and its gin context
	// are released (a linked agent costs only the link), and the HTTP
	// metrics do not count links as requests in flight.
	go func() {
		defer h.remove(l)
		defer l.helloAnswered()
		l.run(sess)
		h.log.Debug("agent link closed", "device_id", deviceID)
	}()
}

// add makes l the device's live link, closing any older one.
func (h *Hub) add(l *link) bool {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return false
	}
	old := h.links[l.deviceID]
	h.links[l.deviceID] = l
	h.wg.Add(1)
	h.mu.Unlock()
	if old != nil {
		old.fail(codeReplaced, "a newer link of this device replaced this one", websocket.ClosePolicyViolation)
	}
	return true
}

func (h *Hub) remove(l *link) {
	h.mu.Lock()
	current := h.links[l.deviceID] == l
	if current {
		delete(h.links, l.deviceID)
	}
	h.mu.Unlock()
	if current && l.welcomed.Load() && l.remote != nil {
		// Not bounded by the hub's ctx: a shutting-down node must still
		// release its presence claims.
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.CallTimeout)
		l.remote.LinkDown(ctx, l.deviceID)
		cancel()
	}
	h.wg.Done()
}

// Close closes the device's live link, if this node holds one: the agent
// gets a fatal error frame and close code 1008. Decommissioning calls it.
func (h *Hub) Close(deviceID string) {
	h.mu.Lock()
	l := h.links[deviceID]
	h.mu.Unlock()
	if l != nil {
		l.fail(codeDecommissioned, "this device was decommissioned", websocket.ClosePolicyViolation)
	}
}

// Linked reports whether this node holds a live link of the device.
func (h *Hub) Linked(deviceID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.links[deviceID] != nil
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	n := len(h.links)
	h.mu.Unlock()
	return Stats{Linked: n, Pending: h.pending.count(), Upgrades: h.upgrades.Load(), Shed: h.shed.Load(), SlowDropped: h.slow.Load(),
		Flooded: h.flooded.Load(), BadFrames: h.bad.Load(), HeartbeatsLost: h.lost.Load()}
}

// Shutdown refuses new links (503) and closes every live one with 1001
// (going away), so agents reconnect, to another node or after the restart.
// It waits for the links to end until ctx does, then drops what is left.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	all := make([]*link, 0, len(h.links))
	for _, l := range h.links {
		all = append(all, l)
	}
	h.mu.Unlock()
	for _, l := range all {
		l.shut(websocket.CloseGoingAway, "server shutting down", false)
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	defer h.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, l := range all {
		l.shut(websocket.CloseGoingAway, "server shutting down", true)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	return ctx.Err()
}

// retryAfter is a Retry-After value of 1 to max seconds, at random.
func retryAfter(max int) string {
	return strconv.Itoa(1 + rand.IntN(max))
}

// SendAll queues a frame for every live link of this node (never
// blocking, like Send) and returns how many took it.
func (h *Hub) SendAll(v any) int {
	h.mu.Lock()
	ids := make([]string, 0, len(h.links))
	for id := range h.links {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	n := 0
	for _, id := range ids {
		if h.Send(id, v) {
			n++
		}
	}
	return n
}

// Send queues a frame for the device's live link on this node. It never
// blocks: false when there is no link, the frame is too large, or the
// link's queue is full (the link is then dropped as too slow).
func (h *Hub) Send(deviceID string, v any) bool {
	h.mu.Lock()
	l := h.links[deviceID]
	h.mu.Unlock()
	if l == nil || l.isClosing() {
		return false
	}
	data, err := json.Marshal(v)
	if err != nil || len(data) > protocol.MaxServerFrame {
		h.log.Error("frame for an agent not sent", "device_id", deviceID, "bytes", len(data), "error", err)
		return false
	}
	return l.enqueue(data)
}
