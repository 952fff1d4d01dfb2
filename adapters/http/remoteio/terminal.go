package remoteio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/terminal"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Browser terminal frames (notes/api.md).
const (
	FrameInput  = "input"
	FrameResize = "resize"
	FrameReady  = "ready"
	FrameOutput = "output"
	FrameClosed = "closed"
	FrameError  = "error"
)

// CodeTerminalRefused is the error frame's code when the agent would not
// start the session (its limit of sessions, or no shell): the browser gets
// it instead of "ready".
const CodeTerminalRefused = "terminal_refused"

// BrowserFrame is what the browser sends: {type:"input", data} or
// {type:"resize", cols, rows}.
type BrowserFrame struct {
	Type string `json:"type"`
	Data string `json:"data,omitempty"`
	Cols int    `json:"cols,omitempty"`
	Rows int    `json:"rows,omitempty"`
}

// ServerFrame is what the server sends. Output data is base64 (JSON of
// []byte): a PTY read may split a UTF-8 sequence.
type ServerFrame struct {
	Type      string `json:"type"`
	SessionID string `json:"sessionId,omitempty"`
	Data      []byte `json:"data,omitempty"`
	Reason    string `json:"reason,omitempty"`
	ExitCode  *int   `json:"exitCode,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
}

func (h *Sockets) terminalRoutes(g *httpapi.Group) {
	g.HandleRoute(httpapi.Route{
		Method: http.MethodGet, Path: "/terminal/:deviceId", Rule: httpapi.Public(), Name: "terminal.socket", Resource: "device",
		Doc: httpapi.Doc{
			Summary: "Terminal WebSocket on a device, authorised by a ticket",
			Description: "Public rule: the one-time ticket (purpose terminal, this device) is the credential; remote:access " +
				"over the device is rechecked. Browser → server {type:\"input\",data} | {type:\"resize\",cols,rows}; " +
				"server → browser {type:\"ready\",sessionId} once the agent started the PTY (else {type:\"error\",code:\"terminal_refused\"}) | {type:\"output\",data(base64)} | {type:\"closed\",reason,exitCode?} | " +
				"{type:\"error\",code,message}. Audited as remote.terminal.open / remote.terminal.close.",
			Tag: "Remote", Status: http.StatusSwitchingProtocols,
			Query: []httpapi.Param{
				{Name: "ticket", Description: "from POST /ws-tickets {purpose:\"terminal\", deviceId}"},
				{Name: "cols", Type: "integer"}, {Name: "rows", Type: "integer"},
			},
		},
	}, wrap(h.terminal))
}

func (h *Sockets) terminal(c *gin.Context) error {
	if err := h.checkOrigin(c.Request); err != nil {
		return err
	}
	ctx := c.Request.Context()
	deviceID := c.Param("deviceId")
	cols, rows, err := dims(c.Query("cols"), c.Query("rows"))
	if err != nil {
		return err
	}
	p, err := h.d.Tickets.Redeem(ctx, c.Query("ticket"), domain.TicketTerminal, deviceID)
	if err != nil {
		return err
	}
	raw, err := h.upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	ws := h.newConn(raw)
	if !h.track(ws) {
		ws.closeWith(websocket.CloseGoingAway, "server_shutdown")
		return nil
	}
	defer h.untrack(ws)
	defer ws.closeWith(websocket.CloseNormalClosure, "")

	sess, err := h.d.Terminal.Open(ctx, p, terminal.OpenRequest{
		DeviceID: deviceID, Cols: cols, Rows: rows,
		Client: terminal.Client{IP: c.ClientIP(), UserAgent: c.Request.UserAgent(), RequestID: httpapi.RequestID(ctx)},
	})
	if err != nil {
		code, msg := errorCode(err)
		_ = ws.writeJSON(ServerFrame{Type: FrameError, Code: code, Message: msg})
		return nil
	}
	defer sess.Close()
	if err := sess.Started(ctx); err != nil {
		code, msg := errorCode(err)
		_ = ws.writeJSON(ServerFrame{Type: FrameError, Code: code, Message: msg})
		return nil
	}
	if ws.writeJSON(ServerFrame{Type: FrameReady, SessionID: sess.ID}) != nil {
		return nil
	}
	go h.terminalReader(ctx, ws, sess)

	ping := time.NewTicker(h.d.Options.PingEvery)
	defer ping.Stop()
	for {
		select {
		case data, ok := <-sess.Output():
			if !ok {
				reason, exit := sess.End()
				_ = ws.writeJSON(ServerFrame{Type: FrameClosed, Reason: reason, ExitCode: exit})
				return nil
			}
			if ws.writeJSON(ServerFrame{Type: FrameOutput, Data: data}) != nil {
				return nil // the deferred Close ends the session
			}
		case <-ping.C:
			if ws.ping() != nil {
				return nil
			}
		case <-ws.closed:
			return nil
		}
	}
}

// terminalReader applies the browser's frames until it leaves.
func (h *Sockets) terminalReader(ctx context.Context, ws *wsConn, sess *terminal.Session) {
	defer sess.Close()
	for {
		typ, data, err := ws.read()
		if err != nil {
			return
		}
		var f BrowserFrame
		if typ != websocket.TextMessage || json.Unmarshal(data, &f) != nil {
			_ = ws.writeJSON(ServerFrame{Type: FrameError, Code: httpapi.CodeInvalid, Message: "frames are JSON text: {type:\"input\",data} or {type:\"resize\",cols,rows}"})
			continue
		}
		switch f.Type {
		case FrameInput:
			err = sess.Input(ctx, []byte(f.Data))
		case FrameResize:
			err = sess.Resize(ctx, f.Cols, f.Rows)
		default:
			err = domain.Invalidf("unknown frame type %q", f.Type)
		}
		if errors.Is(err, terminal.ErrClosed) {
			return
		}
		if err != nil {
			code, msg := errorCode(err)
			_ = ws.writeJSON(ServerFrame{Type: FrameError, Code: code, Message: msg})
		}
	}
}

// dims parses cols and rows (absent: the broker's default).
func dims(cs, rs string) (int, int, error) {
	if cs == "" && rs == "" {
		return 0, 0, nil
	}
	cols, err1 := strconv.Atoi(cs)
	rows, err2 := strconv.Atoi(rs)
	if err1 != nil || err2 != nil || cols < 1 || rows < 1 || cols > 1000 || rows > 1000 {
		return 0, 0, domain.Invalidf("cols and rows must be integers between 1 and 1000")
	}
	return cols, rows, nil
}

// errorCode is the code and caller-facing message of an error frame.
func errorCode(err error) (string, string) {
	switch {
	case errors.Is(err, terminal.ErrRefused):
		return CodeTerminalRefused, publicText(err, "the device refused the terminal")
	case errors.Is(err, terminal.ErrClosed):
		return CodeTerminalRefused, "the device ended the terminal before it started"
	case errors.Is(err, terminal.ErrOffline):
		return "device_offline", publicText(err, "the device is not connected right now")
	case errors.Is(err, domain.ErrNotFound):
		return httpapi.CodeNotFound, publicText(err, "not found")
	case errors.Is(err, domain.ErrInvalid):
		return httpapi.CodeInvalid, publicText(err, "invalid input")
	case errors.Is(err, domain.ErrConflict):
		return httpapi.CodeConflict, publicText(err, "conflict")
	case errors.Is(err, domain.ErrForbidden):
		return httpapi.CodeForbidden, publicText(err, "forbidden")
	case errors.Is(err, domain.ErrUnauthenticated):
		return httpapi.CodeUnauthenticated, "authentication required"
	}
	return httpapi.CodeInternal, "internal error"
}

type publicMessager interface{ PublicMessage() string }

// publicText is the first caller-facing message in err's chain.
func publicText(err error, fallback string) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if pm, ok := e.(publicMessager); ok {
			return pm.PublicMessage()
		}
	}
	return fallback
}
