package agentws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Error frame codes.
const (
	codeMalformed      = "malformed"
	codeUnknownType    = "unknown_type"
	codeHelloFirst     = "hello_first"
	codeInvalid        = "invalid"
	codeUnauthorized   = "unauthenticated"
	codeInternal       = "internal"
	codeRateLimited    = "rate_limited"
	codeTooManyBad     = "too_many_bad_frames"
	codeReplaced       = "replaced"
	codeDecommissioned = "decommissioned"
	codeHelloTimeout   = "hello_timeout"
)

// link is one agent's connection. One goroutine serves it at rest: the
// reader (run), which owns the connection. Frames for the agent wait in a
// short queue, and a writer goroutine runs only while there is something
// to write (frames, a ping, the goodbye), taking its buffer from the hub's
// pool; pings and the hello deadline come from the hub's wheel, not from a
// timer of the link's own. Whoever decides to end the link calls shut; the
// writer then says goodbye and the reader closes the connection.
type link struct {
	hub      *Hub
	remote   Remote // nil: remote frames are unknown types
	deviceID string
	ws       *websocket.Conn

	mu        sync.Mutex    // guards the fields below and deadline changes
	queue     [][]byte      // frames waiting for the writer; nil when empty
	pingDue   bool          // the wheel asked for a ping
	writing   bool          // a writer goroutine runs
	wrote     chan struct{} // closed when that writer exits (nil: none runs)
	closing   bool
	closeCode int
	closeText string
	abort     bool      // drop at once: no queued frames, no close handshake
	byeBy     time.Time // the goodbye's deadline, set when the writer starts it
	byeSent   bool

	// Reader-only state.
	start   time.Time
	control frameWindow // telemetry and protocol frames (FrameLimit)
	stream  frameWindow // remote-work frames (StreamFrameLimit)
	bad     int
	hello   bool

	welcomed atomic.Bool // hello answered: remote frames may be sent to the agent

	pending   *slot       // the link's place among pending hellos (hub.pending)
	helloSeen atomic.Bool // a well-formed hello arrived (the hello deadline is met)

	// The link's place in the hub's wheel (guarded by wheel.mu).
	wPrev, wNext *link
	wSlot        int
}

// helloAnswered releases the link's place among pending hellos (idempotent).
func (l *link) helloAnswered() { l.hub.pending.release(l.pending) }

// helloOverdue closes a link that has not sent its hello in time: a link
// that only answers pings would otherwise hold its pending place forever.
func (l *link) helloOverdue() {
	if l.helloSeen.Load() || l.isClosing() { // a closing link releases its place as it ends
		return
	}
	l.helloAnswered()
	l.hub.bad.Add(1)
	l.hub.log.Warn("agent sent no hello in time; link closed", "device_id", l.deviceID, "timeout", l.hub.opts.HelloTimeout)
	l.fail(codeHelloTimeout, "no hello within "+l.hub.opts.HelloTimeout.String(), websocket.ClosePolicyViolation)
}

func newLink(h *Hub, ws *websocket.Conn, deviceID string, remote Remote) *link {
	return &link{hub: h, deviceID: deviceID, ws: ws, remote: remote, start: time.Now(), wSlot: -1}
}

// run serves the link until it ends; it returns once the writer is done
// and the connection is closed.
func (l *link) run(sess Session) {
	l.ws.SetReadLimit(protocol.MaxAgentFrame)
	l.extendRead()
	// The handlers capture only l: they live as long as the link.
	l.ws.SetPingHandler(func(data string) error {
		l.extendRead()
		err := l.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(l.hub.opts.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	l.ws.SetPongHandler(func(string) error { l.extendRead(); return nil })

	l.hub.wheel.add(l)
	defer l.hub.wheel.remove(l)
	for {
		kind, data, err := l.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				l.hub.bad.Add(1)
				l.hub.log.Warn("agent sent an oversized frame; link closed", "device_id", l.deviceID, "limit", protocol.MaxAgentFrame)
			}
			break
		}
		if l.isClosing() {
			continue // waiting for the agent's close frame; nothing more is served
		}
		l.extendRead()
		if kind != websocket.TextMessage {
			if !l.allow(false) {
				continue
			}
			l.refuse("", codeMalformed, "frames must be JSON text")
			continue
		}
		l.serveFrame(sess, data)
	}
	l.shut(websocket.CloseNormalClosure, "", true)
	l.mu.Lock()
	wrote := l.wrote
	l.mu.Unlock()
	if wrote != nil {
		<-wrote
	}
	_ = l.ws.Close()
}

// serveFrame handles one frame on a goroutine of its own and waits for it:
// the work a frame does (JSON, database calls) grows the stack that does
// it, and the reader's stack, which lives as long as the link, stays as
// small as a blocked read needs.
func (l *link) serveFrame(sess Session, data []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.handle(sess, data)
	}()
	<-done
}

// handle serves one text frame: the link's own frames from linkFrames,
// remote work (protocol.RemoteFrom) to Remote, anything else refused.
func (l *link) handle(sess Session, data []byte) {
	var h protocol.Header
	if err := json.Unmarshal(data, &h); err != nil || h.Type == "" {
		l.refuse("", codeMalformed, "a frame is one JSON object with a \"type\"")
		return
	}
	if len(h.ID) > 128 {
		h.ID = ""
	}
	remote := protocol.RemoteFrom(h.Type, protocol.ToServer)
	if !l.allow(remote) {
		return
	}
	ctx, cancel := context.WithTimeout(l.hub.ctx, l.hub.opts.CallTimeout)
	defer cancel()
	if f, ok := linkFrames[h.Type]; ok {
		if f.afterHello && !l.helloFirst(h.ID) {
			return
		}
		f.serve(l, ctx, sess, h, data)
		return
	}
	if r := l.remote; r != nil && remote {
		if !l.helloFirst(h.ID) {
			return
		}
		l.fromAgent(ctx, r, h, data)
		return
	}
	l.refuse(h.ID, codeUnknownType, fmt.Sprintf("unknown frame type %q", domain.Abbrev(h.Type, 64)))
}

// linkFrame serves one of the link's own frame types.
type linkFrame struct {
	afterHello bool // refused before the link's hello
	serve      func(l *link, ctx context.Context, sess Session, h protocol.Header, data []byte)
}

// linkFrames are the agent → server frames the hub serves itself, by type
// (their route in the protocol's frame table is the link's own).
var linkFrames = map[string]linkFrame{
	protocol.TypeHello:        {serve: (*link).onHello},
	protocol.TypeHeartbeat:    {afterHello: true, serve: (*link).onHeartbeat},
	protocol.TypeInventory:    {afterHello: true, serve: (*link).onInventory},
	protocol.TypePluginStates: {afterHello: true, serve: (*link).onPluginStates},
	protocol.TypeCertRequest:  {afterHello: true, serve: (*link).onCertRequest},
	// An answer to an application-level ping: being read was enough.
	protocol.TypePong: {serve: func(*link, context.Context, Session, protocol.Header, []byte) {}},
}

func (l *link) onHello(ctx context.Context, sess Session, h protocol.Header, data []byte) {
	var m protocol.Hello
	if !l.decode(data, &m, h.ID) {
		return
	}
	l.helloSeen.Store(true)
	w, err := sess.Hello(ctx, l.deviceID, m)
	l.helloAnswered()
	if err != nil {
		l.helloFailed(h.ID, err)
		return
	}
	l.hello = true
	l.sendJSON(w)
	l.welcomed.Store(true)
	if r := l.remote; r != nil {
		go r.LinkUp(l.hub.ctx, l.deviceID)
	}
}

func (l *link) onHeartbeat(ctx context.Context, sess Session, h protocol.Header, data []byte) {
	var m protocol.Heartbeat
	if !l.decode(data, &m, h.ID) {
		return
	}
	if !sess.Heartbeat(ctx, l.deviceID, m) {
		l.hub.lost.Add(1)
	}
}

func (l *link) onInventory(ctx context.Context, sess Session, h protocol.Header, data []byte) {
	var m protocol.Inventory
	if !l.decode(data, &m, h.ID) {
		return
	}
	if err := sess.Inventory(ctx, l.deviceID, m); err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			l.refuse(h.ID, codeInvalid, publicMessage(err))
			return
		}
		l.hub.log.Error("agent inventory not stored", "device_id", l.deviceID, "error", err)
		l.sendError(protocol.Error{Header: protocol.Header{ID: h.ID}, Code: codeInternal, Message: "inventory not stored; send it again later"})
	}
}

func (l *link) onPluginStates(ctx context.Context, sess Session, h protocol.Header, data []byte) {
	var m protocol.PluginStates
	if !l.decode(data, &m, h.ID) {
		return
	}
	if err := sess.PluginStates(ctx, l.deviceID, m.Plugins); err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			l.refuse(h.ID, codeInvalid, publicMessage(err))
			return
		}
		l.hub.log.Error("agent plugin states not stored", "device_id", l.deviceID, "error", err)
	}
}

// onCertRequest answers a renewal of the device's client certificate
// (cert_issued, same id); a Session without certificates refuses it.
func (l *link) onCertRequest(ctx context.Context, sess Session, h protocol.Header, data []byte) {
	var m protocol.CertRequest
	if !l.decode(data, &m, h.ID) {
		return
	}
	cs, ok := sess.(CertSession)
	if !ok {
		l.refuse(h.ID, codeUnknownType, "this server issues no client certificates")
		return
	}
	l.sendJSON(cs.RenewCert(ctx, l.deviceID, m))
}

func (l *link) decode(data []byte, v any, id string) bool {
	if err := json.Unmarshal(data, v); err != nil {
		l.refuse(id, codeMalformed, "frame does not match its type: "+domain.Abbrev(err.Error(), 64))
		return false
	}
	return true
}

func (l *link) helloFirst(id string) bool {
	if !l.hello {
		l.refuse(id, codeHelloFirst, "send hello first")
	}
	return l.hello
}

// helloFailed ends a link whose hello was refused.
func (l *link) helloFailed(id string, err error) {
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		l.failID(id, codeUnauthorized, "this agent may not link", websocket.ClosePolicyViolation)
	case errors.Is(err, domain.ErrInvalid):
		l.hub.bad.Add(1)
		l.failID(id, codeInvalid, publicMessage(err), websocket.ClosePolicyViolation)
	default:
		l.hub.log.Error("agent hello failed", "device_id", l.deviceID, "error", err)
		l.failID(id, codeInternal, "internal error; reconnect later", websocket.CloseInternalServerErr)
	}
}

// refuse answers a bad frame with an error frame; MaxBadFrames of them are
// tolerated, one more closes the link.
func (l *link) refuse(id, code, msg string) {
	l.hub.bad.Add(1)
	l.bad++
	if l.bad > l.hub.opts.MaxBadFrames {
		l.hub.log.Warn("agent sent too many bad frames; link closed", "device_id", l.deviceID, "last", code)
		l.failID(id, codeTooManyBad, fmt.Sprintf("more than %d bad frames; last: %s", l.hub.opts.MaxBadFrames, msg), websocket.ClosePolicyViolation)
		return
	}
	l.sendError(protocol.Error{Header: protocol.Header{ID: id}, Code: code, Message: msg})
}

// fromAgent hands a remote-work frame to Remote.
func (l *link) fromAgent(ctx context.Context, r Remote, h protocol.Header, data []byte) {
	err := r.FromAgent(ctx, l.deviceID, h.Type, h.ID, data)
	switch {
	case err == nil:
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrNotFound):
		l.refuse(h.ID, codeInvalid, publicMessage(err))
	default:
		l.hub.log.Error("agent frame not handled", "device_id", l.deviceID, "type", h.Type, "error", err)
		l.sendError(protocol.Error{Header: protocol.Header{ID: h.ID}, Code: codeInternal, Message: "not stored; send it again later"})
	}
}

// publicMessage is the caller-facing text of a domain error.
func publicMessage(err error) string {
	var pm interface{ PublicMessage() string }
	if errors.As(err, &pm) {
		return pm.PublicMessage()
	}
	return "refused"
}
