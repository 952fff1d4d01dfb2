package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestServeGracefulShutdown(t *testing.T) {
	ts := newTestServer(t, func(d *Deps) { d.Options.ShutdownTimeout = 10 * time.Second })
	started := make(chan struct{})
	release := make(chan struct{})
	ts.Handle(http.MethodGet, "/slow", Public(), func(c *gin.Context) {
		close(started)
		<-release
		if err := c.Request.Context().Err(); err != nil {
			c.String(http.StatusInternalServerError, "request context cancelled by shutdown: %v", err)
			return
		}
		c.String(http.StatusOK, "finished")
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	type result struct {
		status int
		body   string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow request never reached the handler")
	}

	cancel() // begin shutdown with the request in flight
	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}

	close(release)
	r := <-slow
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after clean shutdown = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	ts := newTestServer(t, func(d *Deps) { d.Options.ShutdownTimeout = 50 * time.Millisecond })
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	ts.Handle(http.MethodGet, "/stuck", Public(), func(c *gin.Context) {
		close(started)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if err == nil {
			t.Fatal("Serve reported a clean shutdown although a request was cut off")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve ignored ShutdownTimeout")
	}
}

func TestServeReturnsListenerError(t *testing.T) {
	ts := newTestServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := ts.Serve(context.Background(), ln); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}

// A request still running late in the shutdown (a file transfer) is ended
// with a clear reason: its context is cancelled with ErrShuttingDown, the
// client gets 503 + Retry-After saying so, and Serve returns nil in time.
func TestServeDrainEndsLongRequests(t *testing.T) {
	ts := newTestServer(t, func(d *Deps) { d.Options.ShutdownTimeout = 1500 * time.Millisecond })
	started := make(chan struct{})
	ts.Handle(http.MethodGet, "/transfer", Public(), func(c *gin.Context) {
		close(started)
		<-c.Request.Context().Done()
		WriteError(c, c.Request.Context().Err())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln) }()
	type result struct {
		status int
		retry  string
		body   string
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/transfer")
		if err != nil {
			got <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after a drain = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	r := <-got
	if r.status != http.StatusServiceUnavailable || r.retry == "" || !strings.Contains(r.body, "shutting down") {
		t.Fatalf("the transfer ended with %d Retry-After=%q %s", r.status, r.retry, r.body)
	}
}
