package agentws

import (
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

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
	queued, full := l.offer(data)
	if full {
		l.hub.slow.Add(1)
		l.hub.log.Warn("agent too slow to read its frames; link dropped", "device_id", l.deviceID, "queue", l.hub.opts.SendQueue)
		l.shut(websocket.ClosePolicyViolation, "too slow", true)
	}
	return queued
}

// offer queues data unless the link is closing or its queue holds
// SendQueue frames already (full), and starts the writer if none runs.
func (l *link) offer(data []byte) (queued, full bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return false, false
	}
	if len(l.queue) >= l.hub.opts.SendQueue {
		return false, true
	}
	l.queue = append(l.queue, data)
	l.startWriterLocked()
	return true, false
}

// ping asks the writer for a WebSocket ping (the wheel calls it every
// PingInterval).
func (l *link) ping() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	l.pingDue = true
	l.startWriterLocked()
}

// startWriterLocked starts the writer unless one runs; l.mu is held.
func (l *link) startWriterLocked() {
	if l.writing {
		return
	}
	l.writing, l.wrote = true, make(chan struct{})
	go l.writeLoop()
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
// Without abort the writer flushes what is queued and says goodbye.
func (l *link) shut(code int, text string, abort bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := !l.closing
	if first {
		l.closing, l.closeCode, l.closeText = true, code, text
	}
	hurry := abort && !l.abort
	l.abort = l.abort || abort
	if hurry {
		// Unblock a write in progress and the reader, now.
		now := time.Now()
		_ = l.ws.UnderlyingConn().SetWriteDeadline(now)
		_ = l.ws.UnderlyingConn().SetReadDeadline(now)
		l.queue = nil
		return
	}
	if first {
		l.startWriterLocked() // the goodbye
	}
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

// writeStep is what the writer does next.
type writeStep int

const (
	stepStop writeStep = iota
	stepFrame
	stepPing
	stepBye
)

// next picks the writer's next step and, for a frame, sets its deadline
// (under l.mu: shut's "now" deadline of an abort comes after it, or the
// abort stops the writer first). Nothing left to do stops the writer.
func (l *link) next() (step writeStep, data []byte, code int, text string, deadline time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := l.hub.opts
	deadline = time.Now().Add(o.WriteTimeout)
	if l.closing {
		if l.byeBy.IsZero() {
			l.byeBy = time.Now().Add(o.CloseGrace) // the whole goodbye, flush included
		}
		deadline = l.byeBy
	}
	switch {
	case l.abort || l.byeSent:
		step = stepStop
	case len(l.queue) > 0:
		step, data = stepFrame, l.queue[0]
		l.queue[0] = nil
		if l.queue = l.queue[1:]; len(l.queue) == 0 {
			l.queue = nil // nothing held at rest
		}
		_ = l.ws.SetWriteDeadline(deadline)
	case l.closing:
		step, l.byeSent, code, text = stepBye, true, l.closeCode, l.closeText
	case l.pingDue:
		step = stepPing
	default:
		step = stepStop
	}
	l.pingDue = l.pingDue && step != stepPing
	if step == stepStop {
		l.stopWriterLocked()
	}
	return step, data, code, text, deadline
}

// stopWriterLocked marks the writer gone; l.mu is held.
func (l *link) stopWriterLocked() {
	l.writing = false
	close(l.wrote)
	l.wrote = nil
}

// writeLoop writes what is queued, then a due ping, then (closing) the
// goodbye, and exits when there is nothing left: no goroutine and no
// write buffer (the hub's pool lends one per frame) stay with a link at rest.
func (l *link) writeLoop() {
	for {
		step, data, code, text, deadline := l.next()
		var err error
		switch step {
		case stepStop:
			return
		case stepFrame:
			err = l.ws.WriteMessage(websocket.TextMessage, data)
		case stepPing:
			err = l.ws.WriteControl(websocket.PingMessage, nil, deadline)
		case stepBye:
			// Then a grace period for the agent's answering close
			// before the reader gives up.
			_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)
			l.setReadDeadline(time.Now().Add(l.hub.opts.CloseGrace))
			continue
		}
		if err != nil {
			l.shut(websocket.CloseAbnormalClosure, "", true)
		}
	}
}
