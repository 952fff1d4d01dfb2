package link

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// OnWelcome runs at each welcome (an updated build on trial has linked);
// an `update` frame reaches OnUpdate.
func TestUpdateFramesReachOnUpdate(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	var mu sync.Mutex
	var got []protocol.UpdateOffer
	var welcomes atomic.Int32
	start(t, srv, &seqSampler{}, func(o *Options) {
		o.OnUpdate = func(u protocol.UpdateOffer) { mu.Lock(); got = append(got, u); mu.Unlock() }
		o.OnWelcome = func(protocol.Welcome) { welcomes.Add(1) }
	})
	srv.next(protocol.TypeHello, 2*time.Second)
	waitUntil(t, func() bool { return welcomes.Load() == 1 })
	srv.send(1, protocol.UpdateOffer{Header: protocol.Header{Type: protocol.TypeUpdate}, RolloutID: "r1", Version: "1.2.0",
		BinaryPath: "/api/v1/agents/d/update/x/binary", Size: 10})
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	mu.Lock()
	defer mu.Unlock()
	if u := got[0]; u.RolloutID != "r1" || u.Version != "1.2.0" || u.Size != 10 {
		t.Errorf("offer = %+v", u)
	}
}
