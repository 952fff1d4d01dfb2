package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// keystrokeTimeout bounds the wait for one echo.
const keystrokeTimeout = 5 * time.Second

// termFrame is a browser terminal frame either way (notes/api.md);
// output data is base64 in JSON, which []byte decodes.
type termFrame struct {
	Type    string `json:"type"`
	Data    []byte `json:"data,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// termInput is the browser's input frame: data is a UTF-8 string.
type termInput struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

// echoPhase opens a terminal on r.Device as a browser would (ticket,
// Origin of the server) and times r.Keystrokes single keys, one at a
// time, from the input frame's write to its output frame's read.
func echoPhase(ctx context.Context, cfg *config, api *apiClient, r *echoReport) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.remoteTimeout)
	defer cancel()
	t0 := time.Now()
	conn, err := openTerminal(ctx, cfg.server, api, r.Device)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r.OpenMs = float64(time.Since(t0).Microseconds()) / 1000

	samples := make([]int64, 0, r.Keystrokes)
	defer func() { r.Latency = summarize(samples) }()
	for i := range r.Keystrokes {
		key := string(rune('a' + i%26))
		in := marshal(termInput{Type: "input", Data: key})
		start := time.Now()
		if err := conn.WriteMessage(websocket.TextMessage, in); err != nil {
			return fmt.Errorf("keystroke %d: send: %w", i, err)
		}
		got, err := readOutput(conn, start.Add(keystrokeTimeout))
		if err != nil {
			return fmt.Errorf("keystroke %d: %w", i, err)
		}
		samples = append(samples, int64(time.Since(start)))
		r.Echoed++
		if string(got) != key {
			r.Mismatched++
		}
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	if r.Mismatched > 0 {
		return fmt.Errorf("%d echoes were not the key sent", r.Mismatched)
	}
	return nil
}

// openTerminal gets a ticket and opens the terminal socket, up to ready.
func openTerminal(ctx context.Context, server string, api *apiClient, deviceID string) (*websocket.Conn, error) {
	var tk struct {
		Ticket string `json:"ticket"`
	}
	if err := api.call(ctx, http.MethodPost, "/api/v1/ws-tickets",
		map[string]string{"purpose": "terminal", "deviceId": deviceID}, &tk, http.StatusCreated); err != nil {
		return nil, err
	}
	u := wsURL(server) + "/api/v1/terminal/" + url.PathEscape(deviceID) + "?ticket=" + url.QueryEscape(tk.Ticket) + "&cols=80&rows=24"
	h := http.Header{}
	h.Set("Origin", server)
	conn, res, err := websocket.DefaultDialer.DialContext(ctx, u, h)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("open the terminal: upgrade answered %s", res.Status)
		}
		return nil, fmt.Errorf("open the terminal: %w", err)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := readFrame(conn)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("wait for ready: %w", err)
		}
		switch f.Type {
		case "ready":
			return conn, nil
		case "error", "closed":
			conn.Close()
			return nil, fmt.Errorf("wait for ready: %s", frameText(f))
		}
	}
}

// readOutput reads frames until an output frame (its bytes), by deadline.
func readOutput(conn *websocket.Conn, deadline time.Time) ([]byte, error) {
	_ = conn.SetReadDeadline(deadline)
	for {
		f, err := readFrame(conn)
		if err != nil {
			return nil, fmt.Errorf("wait for the echo: %w", err)
		}
		switch f.Type {
		case "output":
			return f.Data, nil
		case "error", "closed":
			return nil, errors.New(frameText(f))
		}
	}
}

func readFrame(conn *websocket.Conn) (termFrame, error) {
	var f termFrame
	kind, data, err := conn.ReadMessage()
	if err != nil {
		return f, err
	}
	if kind != websocket.TextMessage {
		return f, nil
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("malformed frame: %w", err)
	}
	return f, nil
}

func frameText(f termFrame) string {
	if f.Type == "closed" {
		return "the server closed the terminal: " + f.Reason
	}
	return fmt.Sprintf("server error %s: %s", f.Code, f.Message)
}
