package link

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// reader reads every frame of one connection and hands what needs a reply
// to the writer. It ends when the connection fails or is closed; done is
// then closed and err says why.
type reader struct {
	ctx     context.Context // the agent's, handed to Remote.Handle
	conn    *websocket.Conn
	link    *Link
	log     hclog.Logger
	timeout time.Duration

	pongs chan string // ids of app-level pings to answer
	done  chan struct{}
	err   error // valid after done is closed

	warned map[string]bool // unknown types already logged at warn
}

func newReader(ctx context.Context, conn *websocket.Conn, l *Link, timeout time.Duration) *reader {
	return &reader{ctx: ctx, conn: conn, link: l, log: l.log, timeout: timeout,
		pongs: make(chan string, 16), done: make(chan struct{}), warned: map[string]bool{}}
}

func (r *reader) run() {
	defer close(r.done)
	extend := func() { _ = r.conn.SetReadDeadline(time.Now().Add(r.timeout)) }
	extend()
	r.conn.SetPongHandler(func(string) error { extend(); return nil })
	for {
		kind, data, err := r.conn.ReadMessage()
		if err != nil {
			r.err = err
			return
		}
		extend()
		if kind != websocket.TextMessage {
			r.once("binary", "ignoring a binary frame from server")
			continue
		}
		r.handle(data)
	}
}

// handle serves one frame: the link's own from readerFrames, remote work
// (protocol.RemoteFrom) to Options.Remote, anything else ignored.
func (r *reader) handle(data []byte) {
	typ, err := protocol.PeekType(data)
	if err != nil {
		r.once("malformed", "ignoring malformed frame from server", "error", err)
		return
	}
	if serve, ok := readerFrames[typ]; ok {
		serve(r, data)
		return
	}
	if rm := r.link.opts.Remote; rm != nil && protocol.RemoteFrom(typ, protocol.ToAgent) {
		rm.Handle(r.ctx, typ, data)
		return
	}
	// A newer server may speak types we do not know: ignore them.
	r.once("type:"+typ, "ignoring unknown frame type", "type", typ)
}

// readerFrames are the server → agent frames the link serves itself, by
// type (their route in the protocol's frame table is the link's own).
var readerFrames = map[string]func(r *reader, data []byte){
	protocol.TypePing:    (*reader).onPing,
	protocol.TypeWelcome: (*reader).onWelcome,
	protocol.TypePlugins: (*reader).onPlugins,
	protocol.TypeWatch:   (*reader).onWatch,
	protocol.TypeUpdate:  (*reader).onUpdate,
	protocol.TypeError:   (*reader).onError,

	protocol.TypeCertIssued: (*reader).onCertIssued,
	protocol.TypeCertRenew: func(r *reader, _ []byte) {
		if r.link.opts.OnCertRenew != nil {
			r.link.opts.OnCertRenew()
		}
	},
}

func (r *reader) onCertIssued(data []byte) {
	var m protocol.CertIssued
	if err := json.Unmarshal(data, &m); err != nil {
		r.once("malformed", "ignoring malformed cert_issued frame", "error", err)
		return
	}
	if r.link.opts.OnCertIssued != nil {
		r.link.opts.OnCertIssued(m)
	}
}

func (r *reader) onPing(data []byte) {
	var p protocol.Ping
	if err := json.Unmarshal(data, &p); err != nil {
		r.once("malformed", "ignoring malformed ping", "error", err)
		return
	}
	select {
	case r.pongs <- p.ID:
	default:
		r.log.Debug("too many pings pending; dropping one", "id", p.ID)
	}
}

func (r *reader) onWelcome(data []byte) {
	var w protocol.Welcome
	if err := json.Unmarshal(data, &w); err == nil {
		r.link.applyWelcome(w) // the server may change the interval mid-link
	}
}

func (r *reader) onPlugins(data []byte) {
	var p protocol.Plugins
	if err := json.Unmarshal(data, &p); err != nil {
		r.once("malformed", "ignoring malformed plugins frame", "error", err)
		return
	}
	if r.link.opts.OnPlugins != nil {
		r.link.opts.OnPlugins(p.Plugins)
	}
}

func (r *reader) onWatch(data []byte) {
	var w protocol.Watch
	if err := json.Unmarshal(data, &w); err != nil {
		r.once("malformed", "ignoring malformed watch frame", "error", err)
		return
	}
	if r.link.opts.OnWatch != nil {
		r.link.opts.OnWatch(w)
	}
}

func (r *reader) onUpdate(data []byte) {
	var o protocol.UpdateOffer
	if err := json.Unmarshal(data, &o); err != nil {
		r.once("malformed", "ignoring malformed update frame", "error", err)
		return
	}
	if r.link.opts.OnUpdate != nil {
		r.link.opts.OnUpdate(o)
	}
}

func (r *reader) onError(data []byte) {
	var e protocol.Error
	_ = json.Unmarshal(data, &e)
	if e.Fatal {
		r.log.Error("server reported a fatal error; it will close the link", "code", e.Code, "message", e.Message)
	} else {
		r.log.Warn("server refused a frame", "code", e.Code, "message", e.Message, "id", e.ID)
	}
}

// once logs at warn the first time per key on this connection, then at debug.
func (r *reader) once(key, msg string, args ...any) {
	if !r.warned[key] {
		r.warned[key] = true
		r.log.Warn(msg, args...)
		return
	}
	r.log.Debug(msg, args...)
}
