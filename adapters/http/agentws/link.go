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

// link is one agent's connection. Two goroutines serve it: the request's
// own (reading, in run) and a writer (writeLoop), which alone writes data
// frames. Whoever decides to end the link calls shut; the writer then says
// goodbye and the reader, which owns the connection, closes it.
type link struct {
	hub      *Hub
	remote   Remote // nil: remote frames are unknown types
	deviceID string
	ws       *websocket.Conn
	send     chan []byte
	done     chan struct{} // closed by shut
	wrote    chan struct{} // closed when the writer has exited

	mu        sync.Mutex // guards the fields below and read-deadline changes
	closing   bool
	closeCode int
	closeText string
	abort     bool // drop at once: no queued frames, no close handshake

	// Reader-only state.
	start   time.Time
	control frameWindow // telemetry and protocol frames (FrameLimit)
	stream  frameWindow // remote-work frames (StreamFrameLimit)
	bad     int
	hello   bool

	welcomed atomic.Bool // hello answered: remote frames may be sent to the agent

	pending   *slot       // the link's place among pending hellos (hub.pending)
	helloSeen atomic.Bool // a well-formed hello arrived (the hello deadline is met)
}

// helloAnswered releases the link's place among pending hellos (idempotent).
func (l *link) helloAnswered() { l.hub.pending.release(l.pending) }

// helloOverdue closes a link that has not sent its hello in time: a link
// that only answers pings would otherwise hold its pending place forever.
func (l *link) helloOverdue() {
	if l.helloSeen.Load() {
		return
	}
	l.helloAnswered()
	l.hub.bad.Add(1)
	l.hub.log.Warn("agent sent no hello in time; link closed", "device_id", l.deviceID, "timeout", l.hub.opts.HelloTimeout)
	l.fail(codeHelloTimeout, "no hello within "+l.hub.opts.HelloTimeout.String(), websocket.ClosePolicyViolation)
}

func newLink(h *Hub, ws *websocket.Conn, deviceID string, remote Remote) *link {
	return &link{
		hub: h, deviceID: deviceID, ws: ws, remote: remote,
		send: make(chan []byte, h.opts.SendQueue), done: make(chan struct{}), wrote: make(chan struct{}),
		start: time.Now(),
	}
}

// run serves the link until it ends; it returns once both goroutines are done
// and the connection is closed.
func (l *link) run(sess Session) {
	o := l.hub.opts
	l.ws.SetReadLimit(protocol.MaxAgentFrame)
	l.extendRead()
	l.ws.SetPingHandler(func(data string) error {
		l.extendRead()
		err := l.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(o.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	l.ws.SetPongHandler(func(string) error { l.extendRead(); return nil })

	go l.writeLoop()
	overdue := time.AfterFunc(o.HelloTimeout, l.helloOverdue)
	defer overdue.Stop()
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
		l.handle(sess, data)
	}
	l.shut(websocket.CloseNormalClosure, "", true)
	<-l.wrote
	_ = l.ws.Close()
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

// sendJSON queues a frame for the agent.
func (l *link) sendJSON(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		l.hub.log.Error("cannot encode a frame for an agent", "device_id", l.deviceID, "error", err)
		return
	}
	l.enqueue(data)
}

func (l *link) sendError(e protocol.Error) {
	e.Type = protocol.TypeError
	l.sendJSON(e)
}

// enqueue never blocks: an agent whose queue is full is too slow to keep
// and is dropped.
func (l *link) enqueue(data []byte) bool {
	select {
	case l.send <- data:
		return true
	default:
		l.hub.slow.Add(1)
		l.hub.log.Warn("agent too slow to read its frames; link dropped", "device_id", l.deviceID, "queue", cap(l.send))
		l.shut(websocket.ClosePolicyViolation, "too slow", true)
		return false
	}
}

// fail sends a fatal error frame and closes the link with code.
func (l *link) fail(errCode, msg string, closeCode int) { l.failID("", errCode, msg, closeCode) }

func (l *link) failID(id, errCode, msg string, closeCode int) {
	if l.isClosing() {
		return
	}
	l.sendError(protocol.Error{Header: protocol.Header{ID: id}, Code: errCode, Message: msg, Fatal: true})
	l.shut(closeCode, errCode, false)
}

// shut starts closing the link (once; a later abort still hurries it).
func (l *link) shut(code int, text string, abort bool) {
	l.mu.Lock()
	first := !l.closing
	if first {
		l.closing, l.closeCode, l.closeText = true, code, text
	}
	hurry := abort && !l.abort
	l.abort = l.abort || abort
	l.mu.Unlock()
	if hurry {
		// Unblock a write in progress and the reader, now.
		now := time.Now()
		_ = l.ws.UnderlyingConn().SetWriteDeadline(now)
		l.setReadDeadline(now)
	}
	if first {
		close(l.done)
	}
}

// aborted reports whether the link is being dropped at once.
func (l *link) aborted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.abort
}

func (l *link) isClosing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

// extendRead pushes the read deadline out, unless the link is closing.
func (l *link) extendRead() {
	l.mu.Lock()
	if !l.closing {
		_ = l.ws.UnderlyingConn().SetReadDeadline(time.Now().Add(l.hub.opts.ReadTimeout))
	}
	l.mu.Unlock()
}

func (l *link) setReadDeadline(t time.Time) {
	l.mu.Lock()
	_ = l.ws.UnderlyingConn().SetReadDeadline(t)
	l.mu.Unlock()
}

// writeLoop writes queued frames and pings until the link closes, then
// flushes what is queued (unless aborting) and sends the close frame.
func (l *link) writeLoop() {
	defer close(l.wrote)
	o := l.hub.opts
	ping := time.NewTicker(o.PingInterval)
	defer ping.Stop()
	for {
		select {
		case data := <-l.send:
			if l.aborted() {
				continue // select may pick queued data over done: never write after an abort
			}
			_ = l.ws.SetWriteDeadline(time.Now().Add(o.WriteTimeout))
			if l.aborted() {
				// shut's "now" deadline may have come before ours: put it back.
				_ = l.ws.UnderlyingConn().SetWriteDeadline(time.Now())
			}
			if err := l.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				l.shut(websocket.CloseAbnormalClosure, "", true)
			}
		case <-ping.C:
			if err := l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteTimeout)); err != nil {
				l.shut(websocket.CloseAbnormalClosure, "", true)
			}
		case <-l.done:
			l.goodbye()
			return
		}
	}
}

// goodbye ends the writer's part: queued frames (an error frame saying why,
// typically) and the close frame, then a grace period for the agent's
// answering close before the reader gives up.
func (l *link) goodbye() {
	l.mu.Lock()
	abort, code, text := l.abort, l.closeCode, l.closeText
	l.mu.Unlock()
	if abort {
		l.setReadDeadline(time.Now())
		return
	}
	deadline := time.Now().Add(l.hub.opts.CloseGrace)
	_ = l.ws.SetWriteDeadline(deadline)
	for flushed := false; !flushed; {
		select {
		case data := <-l.send:
			if err := l.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				l.setReadDeadline(time.Now())
				return
			}
		default:
			flushed = true
		}
	}
	_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)
	l.setReadDeadline(time.Now().Add(l.hub.opts.CloseGrace))
}

// publicMessage is the caller-facing text of a domain error.
func publicMessage(err error) string {
	var pm interface{ PublicMessage() string }
	if errors.As(err, &pm) {
		return pm.PublicMessage()
	}
	return "refused"
}
