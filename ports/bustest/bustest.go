// Package bustest is the conformance suite of ports.Bus. Every adapter runs
// Run unchanged.
//
// newBus is called once or twice per subtest with the same t: every call
// returns one server node's Bus, and the nodes of one t share a backend
// (memory: one Broker; Redis: one server and prefix). The suite assumes
// that a subscription's buffer is its C channel (len(C) is what it holds)
// and is smaller than 1000 messages. It waits on deliveries
// with generous deadlines instead of sleeping, and asserts absence only
// after a later message on the same path has arrived (a barrier).
package bustest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// wait bounds every expected delivery.
const wait = 5 * time.Second

// Run runs the suite.
func Run(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newBus func(t testing.TB) ports.Bus)
	}{
		{"InvalidInput", testInvalidInput},
		{"MultipleSubscribers", testMultipleSubscribers},
		{"CrossNode", testCrossNode},
		{"NoDeliveryAfterClose", testNoDeliveryAfterClose},
		{"SlowSubscriberDrops", testSlowSubscriberDrops},
		{"OrderPerPublisher", testOrderPerPublisher},
		{"ContextDone", testContextDone},
		{"LargePayload", testLargePayload},
		{"Batch", testBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBus) })
	}
}

func subscribe(t testing.TB, b ports.Bus, topic string) ports.Subscription {
	t.Helper()
	s, err := b.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func publish(t testing.TB, b ports.Bus, topic string, payload []byte) {
	t.Helper()
	if err := b.Publish(context.Background(), topic, payload); err != nil {
		t.Fatalf("Publish(%q): %v", topic, err)
	}
}

// receive returns the next message or fails after wait.
func receive(t testing.TB, s ports.Subscription, what string) ports.Message {
	t.Helper()
	select {
	case m, ok := <-s.C():
		if !ok {
			t.Fatalf("%s: channel closed, want a message", what)
		}
		return m
	case <-time.After(wait):
		t.Fatalf("%s: no message within %s", what, wait)
	}
	return ports.Message{}
}

func expect(t testing.TB, s ports.Subscription, what, topic, payload string) {
	t.Helper()
	m := receive(t, s, what)
	if m.Topic != topic || string(m.Payload) != payload {
		t.Fatalf("%s: got {%q %q}, want {%q %q}", what, m.Topic, m.Payload, topic, payload)
	}
}

// empty asserts nothing is buffered right now (call it after a barrier).
func empty(t testing.TB, s ports.Subscription, what string) {
	t.Helper()
	select {
	case m, ok := <-s.C():
		if ok {
			t.Fatalf("%s: unexpected message {%q %q}", what, m.Topic, m.Payload)
		}
		t.Fatalf("%s: channel closed unexpectedly", what)
	default:
	}
}

// waitClosed asserts C is closed (after draining whatever was buffered).
func waitClosed(t testing.TB, s ports.Subscription, what string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-s.C():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: channel not closed within %s", what, wait)
		}
	}
}

func testInvalidInput(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	b := newBus(t)
	ctx := context.Background()
	bad := []string{"", " ", "a b", "a\tb", "a\nb", "tail ", "a\x00b", "a\u00a0b", "\xff\xfe", strings.Repeat("t", ports.MaxTopicLen+1)}
	for _, topic := range bad {
		if err := b.Publish(ctx, topic, []byte("x")); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Publish to topic %q: err = %v, want ErrInvalid", topic, err)
		}
		s, err := b.Subscribe(ctx, topic)
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Subscribe to topic %q: err = %v, want ErrInvalid", topic, err)
		}
		if s != nil {
			_ = s.Close()
		}
	}
	longest := strings.Repeat("t", ports.MaxTopicLen)
	sub := subscribe(t, b, longest)
	if err := b.Publish(ctx, longest, make([]byte, ports.MaxPayload+1)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Publish of MaxPayload+1 bytes: err = %v, want ErrInvalid", err)
	}
	// Nothing was sent by the rejected calls; a valid one still goes through.
	publish(t, b, longest, nil)
	m := receive(t, sub, "empty payload on the longest topic")
	if m.Topic != longest || len(m.Payload) != 0 {
		t.Fatalf("got {%q %d bytes}, want the empty message", m.Topic, len(m.Payload))
	}
	empty(t, sub, "after the one valid publish")
}

func testMultipleSubscribers(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	b := newBus(t)
	const topic = "device:42:events"
	subs := []ports.Subscription{subscribe(t, b, topic), subscribe(t, b, topic), subscribe(t, b, topic)}
	// Topics that are prefixes, case variants or glob look-alikes of another
	// are distinct.
	others := map[string]ports.Subscription{}
	for _, o := range []string{"device:42:events2", "DEVICE:42:EVENTS", "device:42:*", "device:4?:events", "device:42"} {
		others[o] = subscribe(t, b, o)
	}
	buf := []byte("hello")
	publish(t, b, topic, buf)
	copy(buf, "XXXXX") // the publisher reuses its buffer at once
	for i, s := range subs {
		expect(t, s, fmt.Sprintf("subscriber %d", i), topic, "hello")
	}
	for o, s := range others {
		publish(t, b, o, []byte("barrier"))
		expect(t, s, "subscriber of "+o, o, "barrier") // and not the message to "device:42:events"
	}
	publish(t, b, topic, []byte("barrier"))
	for i, s := range subs {
		expect(t, s, fmt.Sprintf("subscriber %d", i), topic, "barrier")
		empty(t, s, fmt.Sprintf("subscriber %d", i))
		if d := s.Dropped(); d != 0 {
			t.Errorf("subscriber %d: Dropped = %d, want 0", i, d)
		}
	}
}

func testCrossNode(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	const topic = "agent:abc:commands"
	s1, s2 := subscribe(t, node1, topic), subscribe(t, node2, topic)
	publish(t, node1, topic, []byte("from node1"))
	expect(t, s1, "node1 subscriber", topic, "from node1")
	expect(t, s2, "node2 subscriber", topic, "from node1")
	publish(t, node2, topic, []byte("from node2"))
	expect(t, s1, "node1 subscriber", topic, "from node2")
	expect(t, s2, "node2 subscriber", topic, "from node2")

	// A topic only node2 listens to still gets node1's messages there.
	only := subscribe(t, node2, "only-on-node2")
	publish(t, node1, "only-on-node2", []byte("x"))
	expect(t, only, "node2-only subscriber", "only-on-node2", "x")
	empty(t, s1, "node1 subscriber after the other topic")
}

func testNoDeliveryAfterClose(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	const topic = "terminal:s1"
	closing := subscribe(t, node2, topic)
	stay := subscribe(t, node2, topic) // same node, same topic: must outlive its neighbour
	remote := subscribe(t, node1, topic)
	publish(t, node1, topic, []byte("before"))
	expect(t, closing, "closing subscriber", topic, "before")
	if err := closing.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitClosed(t, closing, "closed subscription")
	if err := closing.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	publish(t, node1, topic, []byte("after"))
	expect(t, stay, "remaining subscriber on the same node", topic, "before")
	expect(t, stay, "remaining subscriber on the same node", topic, "after")
	expect(t, remote, "remote subscriber", topic, "before")
	expect(t, remote, "remote subscriber", topic, "after")
	if _, ok := <-closing.C(); ok {
		t.Fatal("message delivered to a closed subscription")
	}

	// Closing the last subscriber and subscribing again works.
	_ = stay.Close()
	waitClosed(t, stay, "second closed subscription")
	again := subscribe(t, node2, topic)
	publish(t, node1, topic, []byte("again"))
	expect(t, again, "resubscribed", topic, "again")
	expect(t, remote, "remote subscriber", topic, "again")
}

func testSlowSubscriberDrops(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	const topic, n = "events:busy", 1000
	slow := subscribe(t, node2, topic) // never reads until the end
	fast := subscribe(t, node2, topic)
	remote := subscribe(t, node1, topic)
	start := time.Now()
	for i := range n {
		p := []byte(strconv.Itoa(i))
		publish(t, node1, topic, p)
		// Lockstep with the fast subscribers, so they never lag: only the
		// slow one fills up.
		expect(t, fast, "fast subscriber", topic, string(p))
		expect(t, remote, "remote subscriber", topic, string(p))
	}
	t.Logf("%d messages in lockstep in %s", n, time.Since(start))
	if fast.Dropped() != 0 || remote.Dropped() != 0 {
		t.Errorf("fast subscribers dropped %d and %d, want 0", fast.Dropped(), remote.Dropped())
	}
	if slow.Dropped() == 0 {
		t.Fatalf("slow subscriber dropped nothing of %d messages (buffer >= %d?)", n, n)
	}
	// With the slow buffer full, a burst costs the publisher no waiting
	// (a millisecond of blocking per message would take over a second).
	_ = fast.Close()
	_ = remote.Close()
	const burst = 1000
	start = time.Now()
	for i := n; i < n+burst; i++ {
		publish(t, node1, topic, []byte(strconv.Itoa(i)))
	}
	if d := time.Since(start); d > burst*time.Millisecond {
		t.Errorf("%d publishes to a full subscriber took %s: publishers wait for slow subscribers", burst, d)
	}
	total := uint64(n + burst)
	deadline := time.Now().Add(wait)
	for slow.Dropped()+uint64(len(slow.C())) < total {
		if time.Now().After(deadline) {
			t.Fatalf("slow subscriber: %d buffered + %d dropped of %d", len(slow.C()), slow.Dropped(), total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	dropped := slow.Dropped()
	// What the slow one kept is in order, and kept + dropped is everything.
	_ = slow.Close()
	last, kept := -1, 0
	for m := range slow.C() {
		i, err := strconv.Atoi(string(m.Payload))
		if err != nil || i <= last || i >= int(total) {
			t.Fatalf("slow subscriber got %q after %d", m.Payload, last)
		}
		last, kept = i, kept+1
	}
	if uint64(kept)+dropped != total {
		t.Errorf("slow subscriber kept %d and dropped %d, want %d in all", kept, dropped, total)
	}
	t.Logf("slow subscriber kept %d, dropped %d", kept, dropped)
}

func testOrderPerPublisher(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	const topic, each = "order", 300
	subs := []ports.Subscription{subscribe(t, node1, topic), subscribe(t, node2, topic)}
	var wg sync.WaitGroup
	for p, node := range []ports.Bus{node1, node2, node1} {
		wg.Go(func() {
			for i := range each {
				if err := node.Publish(context.Background(), topic, fmt.Appendf(nil, "%d:%d", p, i)); err != nil {
					t.Errorf("publisher %d: %v", p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	const total = 3 * each
	for si, s := range subs {
		last := []int{-1, -1, -1}
		got := 0
		deadline := time.After(wait)
		for uint64(got)+s.Dropped() < total {
			select {
			case m := <-s.C():
				var p, i int
				if _, err := fmt.Sscanf(string(m.Payload), "%d:%d", &p, &i); err != nil || p < 0 || p > 2 {
					t.Fatalf("subscriber %d: bad payload %q", si, m.Payload)
				}
				if i <= last[p] {
					t.Fatalf("subscriber %d: publisher %d's message %d after %d", si, p, i, last[p])
				}
				last[p] = i
				got++
			case <-deadline:
				t.Fatalf("subscriber %d: %d received + %d dropped of %d within %s", si, got, s.Dropped(), total, wait)
			}
		}
		if got == 0 {
			t.Errorf("subscriber %d received nothing", si)
		}
	}
}

func testContextDone(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	b := newBus(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Publish(done, "ctx", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	s, err := b.Subscribe(done, "ctx")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Subscribe with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	if s != nil {
		_ = s.Close()
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live, err := b.Subscribe(ctx, "ctx")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(func() { _ = live.Close() })
	other := subscribe(t, b, "ctx")
	publish(t, b, "ctx", []byte("1"))
	expect(t, live, "subscriber before cancel", "ctx", "1")
	cancel()
	waitClosed(t, live, "subscription after its ctx was cancelled")
	if err := live.Close(); err != nil {
		t.Errorf("Close after ctx cancel: %v", err)
	}
	// The other subscriber of the topic is unaffected.
	publish(t, b, "ctx", []byte("2"))
	expect(t, other, "other subscriber", "ctx", "1")
	expect(t, other, "other subscriber", "ctx", "2")
}

func testLargePayload(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	s := subscribe(t, node2, "files:chunk")
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, '\n', ' '}, ports.MaxPayload/6)
	big = append(big, make([]byte, ports.MaxPayload-len(big))...)
	publish(t, node1, "files:chunk", big)
	if m := receive(t, s, "1 MiB payload"); !bytes.Equal(m.Payload, big) {
		t.Fatalf("1 MiB payload: got %d bytes, not the ones sent", len(m.Payload))
	}
}

// Benchmark measures one message from a publish on node1 to its receipt by a
// subscriber on node2 (a command crossing nodes); ns/op is that latency.
func Benchmark(b *testing.B, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(b), newBus(b)
	s := subscribe(b, node2, "bench")
	payload := make([]byte, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		publish(b, node1, "bench", payload)
		receive(b, s, "bench")
	}
}

// testBatch: a batch arrives on every node in order, between what the same
// publisher sent before and after it; an invalid payload or topic sends
// nothing of the batch; an empty batch is fine; a done ctx is an error.
func testBatch(t *testing.T, newBus func(t testing.TB) ports.Bus) {
	node1, node2 := newBus(t), newBus(t)
	ctx := context.Background()
	subs := []ports.Subscription{subscribe(t, node1, "batch"), subscribe(t, node2, "batch")}
	publish(t, node1, "batch", []byte("before"))
	if err := node1.PublishBatch(ctx, "batch", [][]byte{[]byte("a"), nil, []byte("c")}); err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if err := node1.PublishBatch(ctx, "batch", nil); err != nil {
		t.Fatalf("PublishBatch of nothing: %v", err)
	}
	bad := [][]byte{[]byte("lost"), make([]byte, ports.MaxPayload+1)}
	if err := node1.PublishBatch(ctx, "batch", bad); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("PublishBatch with an oversized payload: err = %v, want ErrInvalid", err)
	}
	if err := node1.PublishBatch(ctx, "a b", [][]byte{[]byte("lost")}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("PublishBatch to a bad topic: err = %v, want ErrInvalid", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := node1.PublishBatch(done, "batch", [][]byte{[]byte("lost")}); !errors.Is(err, context.Canceled) {
		t.Errorf("PublishBatch with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	publish(t, node1, "batch", []byte("after"))
	for i, s := range subs {
		what := fmt.Sprintf("subscriber %d", i)
		for _, want := range []string{"before", "a", "", "c", "after"} {
			expect(t, s, what, "batch", want)
		}
		empty(t, s, what)
	}
}
