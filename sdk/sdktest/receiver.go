package sdktest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Receiver stands in for a service's incoming webhook in tests: a local
// HTTP server that keeps every request's body and answers as the test
// says. A FakeHost's egress reaches it (a real host's would refuse loopback).
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

// NewReceiver starts a Receiver, closed when the test ends. answer writes
// the answer to the i-th request (from 1), whose body it is given; nil
// answers every request 200.
func NewReceiver(tb testing.TB, answer func(i int, body []byte, w http.ResponseWriter, r *http.Request)) *Receiver {
	rc := &Receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		i := len(rc.bodies)
		rc.mu.Unlock()
		if answer != nil {
			answer(i, body, w, r)
		}
	}))
	tb.Cleanup(rc.Close)
	return rc
}

// Bodies returns the bodies received so far, oldest first.
func (rc *Receiver) Bodies() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}
