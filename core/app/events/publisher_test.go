package events

import (
	"context"
	"errors"
	"strconv"
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
	// batches: the size of each PublishBatch
	batches []int
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

// PublishBatch records the batch's size and publishes each in turn.
func (b *slowBus) PublishBatch(ctx context.Context, topic string, payloads [][]byte) error {
	b.mu.Lock()
	b.batches = append(b.batches, len(payloads))
	b.mu.Unlock()
	for _, p := range payloads {
		if err := b.Publish(ctx, topic, p); err != nil {
			return err
		}
	}
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
	// One batch may have left the queue for the blocked bus.
	if dropped < 100-publishBatch || dropped > 100 {
		t.Fatalf("dropped %d of %d past a queue of %d", dropped, publishQueue+100, publishQueue)
	}
	stop()
	close(bus.gate)
	<-done
	if n := len(bus.published()); n+dropped != publishQueue+100 {
		t.Fatalf("sent %d after the drain and dropped %d of %d", n, dropped, publishQueue+100)
	}
}

// Events that wait together leave in batches of at most publishBatch,
// in order.
func TestPublisherBatchesWhatWaits(t *testing.T) {
	bus, p, stop, done := running()
	const n = 3*publishBatch + 5
	for i := range n {
		p.Publish(context.Background(), Event{Type: strconv.Itoa(i)})
	}
	close(bus.gate)
	deadline := time.Now().Add(5 * time.Second)
	for len(bus.published()) < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	<-done
	got := bus.published()
	if len(got) != n {
		t.Fatalf("published %d of %d", len(got), n)
	}
	for i, typ := range got {
		if typ != strconv.Itoa(i) {
			t.Fatalf("event %d is %q: out of order", i, typ)
		}
	}
	bus.mu.Lock()
	defer bus.mu.Unlock()
	largest := 0
	for _, size := range bus.batches {
		if size > publishBatch {
			t.Fatalf("a batch of %d, past %d", size, publishBatch)
		}
		largest = max(largest, size)
	}
	// All but the first waited while the bus was blocked.
	if largest < publishBatch || len(bus.batches) > n-publishBatch {
		t.Fatalf("batches %v: the waiting events did not leave together", bus.batches)
	}
}

// An event published shortly after another joins its batch while the
// first lingers.
func TestPublisherLingersForCompany(t *testing.T) {
	bus := &slowBus{gate: make(chan struct{})}
	close(bus.gate)
	p := &Publisher{Bus: bus, Linger: 300 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	for p.queued() == nil {
		time.Sleep(time.Millisecond)
	}
	p.Publish(context.Background(), Event{Type: "first"})
	time.Sleep(30 * time.Millisecond)
	p.Publish(context.Background(), Event{Type: "second"})
	deadline := time.Now().Add(5 * time.Second)
	for len(bus.published()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	<-done
	bus.mu.Lock()
	defer bus.mu.Unlock()
	if len(bus.got) != 2 || bus.got[0] != "first" || bus.got[1] != "second" || len(bus.batches) != 1 {
		t.Fatalf("published %v in batches %v; want both, in order, in one batch", bus.got, bus.batches)
	}
}
