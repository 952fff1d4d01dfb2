package redis

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
)

// Subscribe returns only once Redis has confirmed the subscription, also
// when a topic is unsubscribed and subscribed again in quick succession (a
// late confirmation must not be credited to the next SUBSCRIBE). A message
// sent right after each Subscribe, from another connection, must arrive.
func TestBusSubscribeWaitsForConfirmation(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	other, _ := redistest.NewClient(t)
	b := NewBus(BusDeps{Client: client, Prefix: prefix})
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	for i := range 200 {
		s, err := b.Subscribe(ctx, "flip")
		if err != nil {
			t.Fatal(err)
		}
		b.mu.RLock()
		tp := b.topics["flip"]
		confirmed, sent := tp.confirmed, tp.sent
		b.mu.RUnlock()
		if confirmed < sent {
			t.Fatalf("round %d: Subscribe returned with %d of %d SUBSCRIBEs confirmed", i, confirmed, sent)
		}
		if err := other.Publish(ctx, prefix+"flip", strconv.Itoa(i)).Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-s.C():
			if string(m.Payload) != strconv.Itoa(i) {
				t.Fatalf("round %d: got %q", i, m.Payload)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: message published right after Subscribe lost", i)
		}
		_ = s.Close()
		// Abandon a Subscribe whose confirmation is still on its way every
		// other round.
		if i%2 == 0 {
			c, cancel := context.WithCancel(ctx)
			go cancel()
			if s, err := b.Subscribe(c, "flip"); err == nil {
				_ = s.Close()
			}
		}
	}
}
