package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// session is one connection: dial, hello, welcome, then heartbeats,
// inventory and pongs until the link fails or ctx ends. established reports
// that a welcome arrived.
func (l *Link) session(ctx context.Context) (established bool, err error) {
	conn, err := l.dial(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	conn.SetReadLimit(protocol.MaxServerFrame)

	if err := l.writeJSON(conn, l.hello()); err != nil {
		return false, fmt.Errorf("send hello: %w", err)
	}
	w, err := l.awaitWelcome(conn)
	if err != nil {
		return false, err
	}
	pingEvery := l.applyWelcome(w)
	l.log.Info("linked to server", "server", l.Server(), "heartbeat", l.Interval(), "buffered", l.buf.Len())
	l.requestSample() // fresh state right away; buffered ones go first

	// The reader runs beside us and owns all reads; we own all data writes
	// (gorilla allows one concurrent reader and one writer; its control
	// frame writes are safe from either).
	readTimeout := 2*pingEvery + 15*time.Second
	in := newReader(ctx, conn, l, readTimeout)
	out := newOutbox()
	out.acks = w.ResultAcks
	l.current.Store(out)
	if l.opts.Remote != nil {
		l.opts.Remote.Linked(out) // before the first remote frame can arrive
	}
	go in.run()
	defer func() {
		_ = conn.Close() // unblocks the reader
		<-in.done
		l.current.Store(nil)
		out.close() // senders waiting on this session get ErrLinkDown
		if l.opts.Remote != nil {
			l.opts.Remote.Unlinked() // after the reader's last Handle
		}
		if l.opts.OnWatch != nil {
			// The watch list is the session's (no report can go while
			// unlinked); the server sends it again after the next welcome.
			l.opts.OnWatch(protocol.Watch{})
		}
	}()

	if err := l.inv.onConnect(ctx, l, conn, w.InventoryWanted); err != nil {
		return true, err
	}
	return true, l.writeLoop(ctx, conn, in, out, pingEvery)
}

func (l *Link) dial(ctx context.Context) (*websocket.Conn, error) {
	u, err := linkURL(l.Server(), l.opts.DeviceID)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+l.opts.Token.Reveal())
	hdr.Set("User-Agent", "breeze-agent/"+l.opts.AgentVersion)
	dctx, cancel := context.WithTimeout(ctx, l.opts.HandshakeTimeout)
	defer cancel()
	conn, resp, err := l.opts.Dialer.DialContext(dctx, u, hdr)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, classifyDial(resp, err, l.opts.MaxRetryAfter)
	}
	return conn, nil
}

// linkURL maps http(s)://host/base to ws(s)://host/base/api/v1/agents/<id>/ws.
func linkURL(server, deviceID string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("server URL: %w", err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("server URL %q: want http(s)", server)
	}
	base := strings.TrimRight(u.EscapedPath(), "/")
	u.Path, u.RawPath = "", ""
	return u.String() + base + fmt.Sprintf(protocol.LinkPath, url.PathEscape(deviceID)), nil
}

func (l *Link) hello() protocol.Hello {
	caps := l.opts.Capabilities
	if l.opts.CapabilitiesFunc != nil {
		caps = l.opts.CapabilitiesFunc()
	}
	var plugins []protocol.PluginState
	if l.opts.PluginStates != nil {
		plugins = l.opts.PluginStates()
	}
	return protocol.Hello{
		Header:          protocol.Header{Type: protocol.TypeHello},
		ProtocolVersion: protocol.Version,
		AgentVersion:    l.opts.AgentVersion,
		Hostname:        l.opts.Hostname,
		OS:              runtime.GOOS,
		Arch:            runtime.GOARCH,
		Capabilities:    caps,
		Plugins:         plugins,
	}
}

// awaitWelcome reads until the welcome, answering pings meanwhile. An error
// frame or anything that takes longer than WelcomeTimeout fails the session.
func (l *Link) awaitWelcome(conn *websocket.Conn) (protocol.Welcome, error) {
	deadline := time.Now().Add(l.opts.WelcomeTimeout)
	_ = conn.SetReadDeadline(deadline)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return protocol.Welcome{}, fmt.Errorf("waiting for welcome: %w", err)
		}
		typ, err := protocol.PeekType(data)
		if err != nil {
			l.log.Warn("ignoring malformed frame from server", "error", err)
			continue
		}
		switch typ {
		case protocol.TypeWelcome:
			var w protocol.Welcome
			if err := json.Unmarshal(data, &w); err != nil {
				return w, fmt.Errorf("malformed welcome: %w", err)
			}
			return w, nil
		case protocol.TypeError:
			var e protocol.Error
			_ = json.Unmarshal(data, &e)
			return protocol.Welcome{}, fmt.Errorf("server refused hello: %s: %s", e.Code, e.Message)
		case protocol.TypePing:
			var p protocol.Ping
			_ = json.Unmarshal(data, &p)
			if err := l.writeJSON(conn, protocol.Pong{Header: protocol.Header{Type: protocol.TypePong, ID: p.ID}}); err != nil {
				return protocol.Welcome{}, err
			}
		default:
			l.log.Warn("ignoring unexpected frame before welcome", "type", typ)
		}
	}
}

// applyWelcome adopts the server's settings and returns the keepalive period.
func (l *Link) applyWelcome(w protocol.Welcome) time.Duration {
	var d time.Duration
	switch {
	case w.HeartbeatIntervalMs > 0:
		d = time.Duration(w.HeartbeatIntervalMs) * time.Millisecond
	case w.HeartbeatInterval > 0:
		d = time.Duration(w.HeartbeatInterval) * time.Second
	}
	if d > 0 && l.setInterval(d) && l.opts.OnInterval != nil {
		l.opts.OnInterval(l.Interval())
	}
	if l.opts.OnPlugins != nil {
		l.opts.OnPlugins(w.Plugins)
	}
	if l.servers.setPushed(l.opts.ServerURL, l.opts.ServerURLs, w.ServerURLs) {
		l.log.Info("server URLs from the server", "urls", l.Servers())
		if l.opts.OnServerURLs != nil {
			l.opts.OnServerURLs(w.ServerURLs)
		}
	}
	if l.opts.OnWelcome != nil {
		l.opts.OnWelcome(w)
	}
	if w.DeviceID != "" && w.DeviceID != l.opts.DeviceID {
		l.log.Warn("server welcomed us under another device id", "ours", l.opts.DeviceID, "theirs", w.DeviceID)
	}
	// WebSocket pings keep NAT entries alive and detect a dead peer: every
	// heartbeat interval, at least once a minute, at most once a second.
	return max(time.Second, min(time.Minute, l.Interval()))
}

// writeLoop sends buffered heartbeats, pongs, keepalive pings and inventory
// changes until the link fails or ctx ends.
func (l *Link) writeLoop(ctx context.Context, conn *websocket.Conn, in *reader, out *outbox, pingEvery time.Duration) error {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	invTick := time.NewTicker(l.opts.InventoryEvery)
	defer invTick.Stop()
	spacing := time.NewTimer(0)
	defer spacing.Stop()
	var lastSent time.Time
	for {
		// Send what is buffered, as fast as DrainSpacing allows.
		for {
			hb, seq, ok := l.buf.Peek()
			if !ok {
				break
			}
			if wait := l.opts.DrainSpacing - time.Since(lastSent); l.opts.DrainSpacing > 0 && wait > 0 {
				spacing.Reset(wait)
				break
			}
			hb.Type = protocol.TypeHeartbeat
			if err := l.writeJSON(conn, hb); errors.Is(err, errFrameTooLarge) {
				l.log.Error("dropping a heartbeat too large to send", "error", err) // resending would loop forever
			} else if err != nil {
				return fmt.Errorf("send heartbeat: %w", err) // stays buffered
			}
			l.buf.Ack(seq)
			lastSent = time.Now()
		}
		select {
		case <-ctx.Done():
			l.closeNormally(conn, in)
			return ctx.Err()
		case <-in.done:
			return in.err
		case id := <-in.pongs:
			if err := l.writeJSON(conn, protocol.Pong{Header: protocol.Header{Type: protocol.TypePong, ID: id}}); err != nil {
				return fmt.Errorf("send pong: %w", err)
			}
		case it := <-out.ch:
			err := l.writeJSONRaw(conn, it.data)
			it.done <- err
			if err != nil {
				return fmt.Errorf("send remote frame: %w", err)
			}
		case req := <-l.invNow:
			err := l.inv.sendFull(ctx, l, conn)
			req <- err
			if err != nil && !errors.Is(err, errInventoryUnavailable) {
				return err
			}
		case <-l.buffered:
		case <-spacing.C:
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(l.opts.WriteTimeout)); err != nil {
				return fmt.Errorf("send ping: %w", err)
			}
		case <-invTick.C:
			if err := l.inv.onTick(ctx, l, conn); err != nil {
				return err
			}
		case <-l.invCheck:
			if err := l.inv.onTick(ctx, l, conn); err != nil {
				return err
			}
		}
	}
}

// closeNormally says goodbye with a 1000 close frame and gives the server a
// moment to answer, so it records a clean disconnect rather than a failure.
func (l *Link) closeNormally(conn *websocket.Conn, in *reader) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "agent stopping")
	if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		return
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-in.done:
	case <-t.C:
	}
	l.log.Info("link closed")
}

// errFrameTooLarge marks a frame we refuse to send (the server would close
// the link on it); the link itself is fine.
var errFrameTooLarge = errors.New("frame larger than the server accepts")

// writeJSON writes one frame with a write deadline.
func (l *Link) writeJSON(conn *websocket.Conn, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if len(data) > protocol.MaxAgentFrame {
		return fmt.Errorf("%w: %d > %d bytes", errFrameTooLarge, len(data), protocol.MaxAgentFrame)
	}
	return l.writeJSONRaw(conn, data)
}

// writeJSONRaw writes one already encoded frame with a write deadline.
func (l *Link) writeJSONRaw(conn *websocket.Conn, data []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(l.opts.WriteTimeout))
	return conn.WriteMessage(websocket.TextMessage, data)
}
