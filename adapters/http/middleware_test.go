package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
	const hsts = "max-age=31536000; includeSubDomains"
	for _, tls := range []bool{false, true} {
		ts := newTestServer(t, func(d *Deps) { d.Options.TLS = tls })
		ts.Handle(http.MethodGet, "/boom", Public(), func(*gin.Context) { panic("x") })
		// Success, 404, 405 and panic answers all carry the headers.
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/healthz"}, {http.MethodGet, "/nope"}, {http.MethodPost, "/healthz"}, {http.MethodGet, "/boom"},
		} {
			rec := ts.do(t, tc.method, tc.path, nil, nil)
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("tls=%v %s %s: %s = %q, want %q", tls, tc.method, tc.path, k, got, v)
				}
			}
			got := rec.Header().Get("Strict-Transport-Security")
			if tls && got != hsts {
				t.Errorf("tls=%v %s %s: HSTS = %q, want %q", tls, tc.method, tc.path, got, hsts)
			}
			if !tls && got != "" {
				t.Errorf("plain HTTP %s %s sent HSTS %q", tc.method, tc.path, got)
			}
		}
	}
}

func TestRequestID(t *testing.T) {
	ts := newTestServer(t, nil)
	var seen string
	ts.Handle(http.MethodGet, "/rid", Public(), func(c *gin.Context) {
		// Both the gin context and the plain request context carry it.
		if RequestID(c) != RequestID(c.Request.Context()) {
			t.Errorf("gin context %q and request context %q disagree", RequestID(c), RequestID(c.Request.Context()))
		}
		seen = RequestID(c.Request.Context())
		c.Status(http.StatusNoContent)
	})

	t.Run("generated", func(t *testing.T) {
		rec := ts.do(t, http.MethodGet, "/rid", nil, nil)
		id := rec.Header().Get(HeaderRequestID)
		if !validRequestID(id) || id != seen {
			t.Fatalf("generated id %q (handler saw %q)", id, seen)
		}
		again := ts.do(t, http.MethodGet, "/rid", nil, nil).Header().Get(HeaderRequestID)
		if again == id {
			t.Fatalf("two requests got the same id %q", id)
		}
	})
	t.Run("echoed", func(t *testing.T) {
		in := "abc.DEF_123-" + strings.Repeat("x", 52) // exactly 64
		rec := ts.do(t, http.MethodGet, "/rid", nil, http.Header{HeaderRequestID: {in}})
		if got := rec.Header().Get(HeaderRequestID); got != in || seen != in {
			t.Fatalf("echo = %q, handler saw %q, want %q", got, seen, in)
		}
	})
	for name, bad := range map[string]string{
		"newline":   "abc\r\nSet-Cookie: x=1",
		"too long":  strings.Repeat("a", 1000),
		"65 chars":  strings.Repeat("a", 65),
		"space":     "a b",
		"unicode":   "idé",
		"html":      "<script>",
		"log forge": "a\n{\"@level\":\"error\"}",
	} {
		t.Run("rejects "+name, func(t *testing.T) {
			rec := ts.do(t, http.MethodGet, "/rid", nil, http.Header{HeaderRequestID: {bad}})
			got := rec.Header().Get(HeaderRequestID)
			if got == bad || !validRequestID(got) || seen != got {
				t.Fatalf("id %q for malicious input %q (handler saw %q)", got, bad, seen)
			}
		})
	}
	t.Run("on 404 too", func(t *testing.T) {
		rec := ts.do(t, http.MethodGet, "/missing", nil, http.Header{HeaderRequestID: {"trace-1"}})
		if rec.Header().Get(HeaderRequestID) != "trace-1" {
			t.Fatalf("404 lost the request id: %q", rec.Header().Get(HeaderRequestID))
		}
	})
}

func TestAccessLog(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Handle(http.MethodGet, "/things/:id", Public(), func(c *gin.Context) { c.String(http.StatusOK, "hello") })
	ts.do(t, http.MethodGet, "/things/42?ticket=secret-ticket", nil, http.Header{HeaderRequestID: {"req-1"}})
	ts.do(t, http.MethodGet, "/healthz", nil, nil)

	lines := ts.logs.lines(t, "http request")
	if len(lines) != 2 {
		t.Fatalf("got %d access log lines, want 2: %s", len(lines), ts.logs.String())
	}
	l := lines[0]
	for k, v := range map[string]any{
		"@level": "info", "method": "GET", "route": "/things/:id", "path": "/things/42",
		"status": float64(200), "bytes": float64(5), "request_id": "req-1", "client_ip": "192.0.2.1",
	} {
		if l[k] != v {
			t.Errorf("access log %s = %v, want %v", k, l[k], v)
		}
	}
	if _, ok := l["duration"]; !ok {
		t.Error("access log lacks duration")
	}
	if strings.Contains(ts.logs.String(), "secret-ticket") {
		t.Error("the query string (one-use tickets) reached the log")
	}
	if lines[1]["@level"] != "debug" || lines[1]["route"] != "/healthz" {
		t.Errorf("healthz logged as %v, want debug", lines[1])
	}
}

func TestClientIPIgnoresForwardedForUnlessTrusted(t *testing.T) {
	spoof := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	for _, tc := range []struct {
		trusted []string
		want    string
	}{
		{nil, "192.0.2.1"}, // httptest's peer address: the header is ignored
		{[]string{"192.0.2.1"}, "203.0.113.9"},
	} {
		ts := newTestServer(t, func(d *Deps) { d.Options.TrustedProxies = tc.trusted })
		var got string
		ts.Handle(http.MethodGet, "/ip", Public(), func(c *gin.Context) { got = c.ClientIP() })
		ts.do(t, http.MethodGet, "/ip", nil, spoof)
		if got != tc.want {
			t.Errorf("trusted=%v: client IP %q, want %q", tc.trusted, got, tc.want)
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Handle(http.MethodGet, "/boom", Public(), func(*gin.Context) { panic("db password is hunter2") })

	rec := ts.do(t, http.MethodGet, "/boom", nil, http.Header{HeaderRequestID: {"panic-1"}})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != CodeInternal {
		t.Fatalf("code %q, want internal", e.Code)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatalf("panic text leaked to the client: %s", rec.Body.String())
	}
	logged := ts.logs.lines(t, "panic serving request")
	if len(logged) != 1 {
		t.Fatalf("panic logged %d times: %s", len(logged), ts.logs.String())
	}
	if logged[0]["panic"] != "db password is hunter2" || logged[0]["request_id"] != "panic-1" ||
		!strings.Contains(logged[0]["stack"].(string), "TestPanicRecovery") {
		t.Errorf("panic log lacks panic text, request id or stack: %v", logged[0])
	}
	// The access log records the panic as the 500 it became.
	if a := ts.logs.lines(t, "http request"); len(a) != 1 || a[0]["status"] != float64(500) {
		t.Errorf("access log for the panic: %v", a)
	}
	// And the server keeps serving.
	if rec := ts.do(t, http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("after a panic /healthz answered %d", rec.Code)
	}
}
