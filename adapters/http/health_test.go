package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHealthz(t *testing.T) {
	ts := newTestServer(t, func(d *Deps) {
		d.Ready = func(context.Context) error { return errors.New("store down") }
	})
	// Liveness does not depend on the store.
	rec := ts.do(t, http.MethodGet, "/healthz", nil, nil)
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || body["status"] != "ok" || len(body) != 1 {
		t.Fatalf("healthz: %d %q (%v)", rec.Code, rec.Body.String(), err)
	}
}

func TestReadyz(t *testing.T) {
	t.Run("ready", func(t *testing.T) {
		var deadline time.Duration
		ts := newTestServer(t, func(d *Deps) {
			d.Ready = func(ctx context.Context) error {
				dl, ok := ctx.Deadline()
				if !ok {
					return errors.New("no deadline")
				}
				deadline = time.Until(dl)
				return nil
			}
		})
		rec := ts.do(t, http.MethodGet, "/readyz", nil, nil)
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || body["status"] != "ready" {
			t.Fatalf("readyz: %d %q (%v)", rec.Code, rec.Body.String(), err)
		}
		if deadline <= 0 || deadline > readyTimeout {
			t.Fatalf("Ready got a deadline %v away, want within %v", deadline, readyTimeout)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		ts := newTestServer(t, func(d *Deps) {
			d.Ready = func(context.Context) error { return errors.New("dial tcp 10.0.0.5:5432: refused") }
		})
		rec := ts.do(t, http.MethodGet, "/readyz", nil, nil)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", rec.Code)
		}
		if e := decodeError(t, rec); e.Code != CodeNotReady {
			t.Fatalf("code %q, want not_ready", e.Code)
		}
		if strings.Contains(rec.Body.String(), "10.0.0.5") {
			t.Fatalf("readiness error leaked: %s", rec.Body.String())
		}
		if !strings.Contains(ts.logs.String(), "10.0.0.5") {
			t.Fatalf("readiness error not logged: %s", ts.logs.String())
		}
	})
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Deps{}); err == nil {
		t.Error("New without Ready succeeded")
	}
	ready := func(context.Context) error { return nil }
	if _, err := New(Deps{Ready: ready, Options: Options{ReadTimeout: -1}}); err == nil {
		t.Error("negative timeout accepted")
	}
	if _, err := New(Deps{Ready: ready, Options: Options{TrustedProxies: []string{"not-an-ip"}}}); err == nil {
		t.Error("bad trusted proxy accepted")
	}
	s, err := New(Deps{Ready: ready})
	if err != nil {
		t.Fatalf("New with defaults: %v", err)
	}
	want := Options{
		ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout,
		MaxBodyBytes: DefaultMaxBodyBytes, ShutdownTimeout: DefaultShutdownTimeout, Version: "dev",
	}
	if s.opts.ReadHeaderTimeout != want.ReadHeaderTimeout || s.opts.ReadTimeout != want.ReadTimeout ||
		s.opts.WriteTimeout != want.WriteTimeout || s.opts.IdleTimeout != want.IdleTimeout ||
		s.opts.MaxBodyBytes != want.MaxBodyBytes || s.opts.ShutdownTimeout != want.ShutdownTimeout || s.opts.Version != want.Version {
		t.Errorf("defaults %+v, want %+v", s.opts, want)
	}
	// The default registry carries the Go collector.
	rec := (&testServer{Server: s}).do(t, http.MethodGet, "/metrics", nil, nil)
	if !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Error("default registry lacks the Go collector")
	}
}
