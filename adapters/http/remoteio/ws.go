package remoteio

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one browser WebSocket: serialised writes with a deadline,
// keepalive pings, a read limit, and a once-only close.
type wsConn struct {
	conn *websocket.Conn
	opts Options

	wmu       sync.Mutex
	closeOnce sync.Once
	closed    chan struct{}
}

func (h *Sockets) newConn(conn *websocket.Conn) *wsConn {
	o := h.d.Options
	c := &wsConn{conn: conn, opts: o, closed: make(chan struct{})}
	conn.SetReadLimit(o.MaxFrameBytes)
	_ = conn.SetReadDeadline(time.Now().Add(2 * o.PingEvery))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(2 * o.PingEvery))
	})
	return c
}

// writeJSON sends one text frame; an error means the browser is gone.
func (c *wsConn) writeJSON(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeText(raw)
}

func (c *wsConn) writeText(raw []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, raw)
}

func (c *wsConn) ping() error {
	return c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.opts.WriteTimeout))
}

// read returns the next data frame and extends the read deadline.
func (c *wsConn) read() (int, []byte, error) {
	typ, data, err := c.conn.ReadMessage()
	if err == nil {
		_ = c.conn.SetReadDeadline(time.Now().Add(2 * c.opts.PingEvery))
	}
	return typ, data, err
}

// closeWith sends a close frame (best effort) and closes the connection.
func (c *wsConn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(code, reason)
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.conn.Close()
		close(c.closed)
	})
}
