package httpapi

import (
	"bufio"
	"bytes"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
)

// heldWriter holds a mutating request's answer until its audit row is
// written: the answer goes out only when the row is stored, so a client
// never sees success for an action missing from the audit log. Headers go
// to the real writer's map (and are reset by discard); status and body wait.
type heldWriter struct {
	gin.ResponseWriter // the real writer
	status             int
	body               bytes.Buffer
	wrote              bool
	hijacked           bool
}

func holdAnswer(w gin.ResponseWriter) *heldWriter {
	return &heldWriter{ResponseWriter: w, status: http.StatusOK}
}

func (h *heldWriter) WriteHeader(code int) {
	if h.hijacked {
		h.ResponseWriter.WriteHeader(code)
		return
	}
	if code > 0 && !h.wrote {
		h.status = code
	}
}

func (h *heldWriter) WriteHeaderNow() {
	if h.hijacked {
		h.ResponseWriter.WriteHeaderNow()
		return
	}
	h.wrote = true
}

func (h *heldWriter) Write(b []byte) (int, error) {
	if h.hijacked {
		return h.ResponseWriter.Write(b)
	}
	h.wrote = true
	return h.body.Write(b)
}

func (h *heldWriter) WriteString(s string) (int, error) { return h.Write([]byte(s)) }

func (h *heldWriter) Status() int {
	if h.hijacked {
		return h.ResponseWriter.Status()
	}
	return h.status
}

func (h *heldWriter) Size() int {
	if h.hijacked {
		return h.ResponseWriter.Size()
	}
	if !h.wrote {
		return -1
	}
	return h.body.Len()
}

func (h *heldWriter) Written() bool {
	if h.hijacked {
		return h.ResponseWriter.Written()
	}
	return h.wrote
}

// Flush is held too: the answer leaves in one piece once audited.
func (h *heldWriter) Flush() {
	if h.hijacked {
		h.ResponseWriter.Flush()
	}
}

// Hijack hands the connection over; nothing is held from then on.
func (h *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return h.ResponseWriter.Hijack()
}

// release sends the held answer.
func (h *heldWriter) release() {
	if h.hijacked {
		return
	}
	h.ResponseWriter.WriteHeader(h.status)
	if h.wrote {
		h.ResponseWriter.WriteHeaderNow()
		_, _ = h.ResponseWriter.Write(h.body.Bytes())
	}
}

// discard drops the held answer and every header set since before, which
// restores (a login's Set-Cookie must not reach the client of a failed one).
func (h *heldWriter) discard(before http.Header) {
	hdr := h.ResponseWriter.Header()
	for k := range hdr {
		delete(hdr, k)
	}
	for k, v := range before {
		hdr[k] = v
	}
	h.body.Reset()
	h.wrote = false
}
