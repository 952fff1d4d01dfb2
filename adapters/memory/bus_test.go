package memory

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/bustest"
)

// sharedBroker gives every Bus made for the same test one Broker, so two
// calls with one t are two nodes of one deployment.
func sharedBroker() func(t testing.TB) ports.Bus {
	var mu sync.Mutex
	brokers := map[testing.TB]*Broker{}
	return func(t testing.TB) ports.Bus {
		mu.Lock()
		br := brokers[t]
		if br == nil {
			br = NewBroker()
			brokers[t] = br
		}
		mu.Unlock()
		b := NewBus(BusOptions{Broker: br, Buffer: 64})
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
}

func TestBusConformance(t *testing.T) {
	bustest.Run(t, sharedBroker())
}

func BenchmarkBusPublishReceive(b *testing.B) {
	bustest.Benchmark(b, sharedBroker())
}

// Close on the Bus ends its subscriptions (and only its own), and the
// broker forgets topics nobody listens to any more.
func TestBusCloseEndsItsSubscriptions(t *testing.T) {
	br := NewBroker()
	b1, b2 := NewBus(BusOptions{Broker: br}), NewBus(BusOptions{Broker: br})
	defer b2.Close()
	ctx := context.Background()
	s1, err := b1.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := b2.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s1.C(); ok {
		t.Fatal("subscription of a closed Bus still open")
	}
	if _, err := b1.Subscribe(ctx, "t"); err == nil {
		t.Fatal("Subscribe on a closed Bus succeeded")
	}
	if err := b2.Publish(ctx, "t", []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-s2.C():
		if string(m.Payload) != "x" {
			t.Fatalf("got %q", m.Payload)
		}
	case <-time.After(time.Second):
		t.Fatal("other node's subscription stopped receiving")
	}
	_ = s2.Close()
	br.mu.RLock()
	n := len(br.topics)
	br.mu.RUnlock()
	if n != 0 {
		t.Fatalf("broker keeps %d topics with no subscriber", n)
	}
}

// Subscriptions closing while publishers run: no send on a closed channel.
func TestBusCloseRacesPublish(t *testing.T) {
	b := NewBus(BusOptions{Buffer: 1})
	defer b.Close()
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					_ = b.Publish(ctx, "race", []byte("x"))
				}
			}
		})
	}
	for range 2000 {
		c, cancel := context.WithCancel(ctx)
		s, err := b.Subscribe(c, "race")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		_ = s.Close()
	}
	close(stop)
	wg.Wait()
}
