package link

import (
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// A `watch` frame reaches OnWatch; the session's end hands an empty list
// (the server sends the list after every welcome).
func TestWatchFramesReachOnWatch(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	var mu sync.Mutex
	var got []protocol.Watch
	start(t, srv, &seqSampler{}, func(o *Options) {
		o.OnWatch = func(w protocol.Watch) { mu.Lock(); got = append(got, w); mu.Unlock() }
	})
	srv.next(protocol.TypeHello, 2*time.Second)
	time.Sleep(50 * time.Millisecond) // the welcome lands
	srv.send(1, protocol.Watch{Header: protocol.Header{Type: protocol.TypeWatch}, IntervalSeconds: 30,
		Hosts: []protocol.WatchHost{{ID: "d1", IP: "10.0.0.1", Ports: []int{80}}}})
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	mu.Lock()
	if w := got[0]; w.IntervalSeconds != 30 || len(w.Hosts) != 1 || w.Hosts[0].ID != "d1" || w.Hosts[0].Ports[0] != 80 {
		t.Errorf("watch = %+v", w)
	}
	mu.Unlock()
	srv.drop(1)
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if len(got[1].Hosts) != 0 {
		t.Errorf("after the session: %+v", got[1])
	}
}
