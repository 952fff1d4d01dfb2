package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// slowBus records what is published; each Publish waits for gate.
type slowBus struct {
	gate chan struct{}
	mu   sync.Mutex
	got  []string
}

func (b *slowBus) Publish(ctx context.Context, topic string, payload []byte) error {
	select {
	case <-b.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	e, err := Decode(payload)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.got = append(b.got, e.Type)
	b.mu.Unlock()
	return nil
}

func (b *slowBus) Subscribe(context.Context, string) (ports.Subscription, error) {
	return nil, errors.New("not here")
}

func (b *slowBus) published() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// running starts Run on a publisher over a bus that blocks until its gate
// closes; stop ends Run, done closes when it returned.
func running() (*slowBus, *Publisher, context.CancelFunc, chan struct{}) {
	bus := &slowBus{gate: make(chan struct{})}
	p := &Publisher{Bus: bus}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	for p.queued() == nil {
		time.Sleep(time.Millisecond)
	}
	return bus, p, stop, done
}

func TestPublisherQueuesInOrderAndDrains(t *testing.T) {
	bus, p, stop, done := running()

	// The bus blocks, yet Publish returns at once.
	want := []string{"a", "b", "c", "d"}
	start := time.Now()
	for _, typ := range want {
		p.Publish(context.Background(), Event{Type: typ})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Publish waited for the bus: %v", d)
	}
	if got := bus.published(); len(got) != 0 {
		t.Fatalf("published before the bus answered: %v", got)
	}
	// Stopped while everything waits: the drain still sends all, in order.
	stop()
	close(bus.gate)
	<-done
	got := bus.published()
	if len(got) != len(want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("out of order: %v, want %v", got, want)
		}
	}
	// After Run, Publish sends at once again.
	p.Publish(context.Background(), Event{Type: "e"})
	if got := bus.published(); len(got) != 5 || got[4] != "e" {
		t.Fatalf("after Run: %v", got)
	}
}

func TestPublisherDropsPastItsQueue(t *testing.T) {
	bus, p, stop, done := running()
	for range publishQueue + 100 {
		p.Publish(context.Background(), Event{Type: "x"})
	}
	p.mu.Lock()
	dropped := p.dropped
	p.mu.Unlock()
	// One event may have left the queue for the blocked bus.
	if dropped < 99 || dropped > 100 {
		t.Fatalf("dropped %d of %d past a queue of %d", dropped, publishQueue+100, publishQueue)
	}
	stop()
	close(bus.gate)
	<-done
	if n := len(bus.published()); n < publishQueue || n > publishQueue+1 {
		t.Fatalf("sent %d after the drain", n)
	}
}
