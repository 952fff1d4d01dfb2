package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DefaultBusPrefix prefixes every channel when BusDeps.Prefix is empty.
const DefaultBusPrefix = "breeze:bus:"

// DefaultBusBuffer is each subscription's buffer when BusDeps.Buffer is zero.
const DefaultBusBuffer = 256

// busPingEvery is how long the receive loop waits for a message before it
// pings, so a dead connection is noticed (and go-redis reconnects).
const busPingEvery = 30 * time.Second

// BusDeps configures NewBus.
type BusDeps struct {
	// Client publishes and opens the shared pub/sub connection.
	Client goredis.UniversalClient
	// Prefix is put before every topic to name its Redis channel
	// (empty: DefaultBusPrefix).
	Prefix string
	// Buffer is each subscription's buffer, in messages (0: DefaultBusBuffer).
	Buffer int
}

// Bus is the ports.Bus over Redis pub/sub.
//
// One Bus holds a single pub/sub connection, whatever the number of local
// subscriptions: a topic is SUBSCRIBEd when its first local subscriber
// arrives and UNSUBSCRIBEd when its last one leaves, and one goroutine reads
// the connection and fans each message out to the local subscribers without
// blocking (a full buffer drops). This costs one Redis connection per node
// instead of one per browser or terminal session. When the connection
// breaks, go-redis reconnects and resubscribes; messages published
// meanwhile are lost (at most once).
type Bus struct {
	client goredis.UniversalClient
	prefix string
	buffer int
	ps     *goredis.PubSub

	start    sync.Once
	stop     chan struct{} // closed by Close
	loopDone chan struct{} // closed when the receive loop has returned

	mu     sync.RWMutex // guards topics and closed; dispatch holds it for reading
	topics map[string]*busTopic
	closed bool
}

// busTopic is one topic's local state. sent counts SUBSCRIBE commands sent
// for it and confirmed the confirmations read back, so a Subscribe can wait
// until Redis has its subscription. The state outlives its subscribers
// while a confirmation is pending, so a late one is never credited to a
// later SUBSCRIBE.
type busTopic struct {
	subs       map[*busSub]struct{}
	subscribed bool // a SUBSCRIBE is in force (or on its way)
	sent       uint64
	confirmed  uint64
	waiters    []busWaiter
}

type busWaiter struct {
	target uint64
	ready  chan struct{}
}

var _ ports.Bus = (*Bus)(nil)

// NewBus returns a Bus on deps.Client. It panics without a client (a wiring
// mistake). Nothing connects until the first Subscribe; call Close to stop.
func NewBus(deps BusDeps) *Bus {
	if deps.Client == nil {
		panic("redis.NewBus: nil Client")
	}
	if deps.Prefix == "" {
		deps.Prefix = DefaultBusPrefix
	}
	if deps.Buffer <= 0 {
		deps.Buffer = DefaultBusBuffer
	}
	return &Bus{
		client:   deps.Client,
		prefix:   deps.Prefix,
		buffer:   deps.Buffer,
		ps:       deps.Client.Subscribe(context.Background()), // no channel yet: does not connect
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		topics:   make(map[string]*busTopic),
	}
}

// Publish implements ports.Bus.
func (b *Bus) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis bus: %w", err)
	}
	if err := ports.ValidateTopic(topic); err != nil {
		return err
	}
	if err := ports.ValidatePayload(payload); err != nil {
		return err
	}
	if payload == nil {
		payload = []byte{}
	}
	if err := b.client.Publish(ctx, b.prefix+topic, payload).Err(); err != nil {
		return fmt.Errorf("redis bus: publish: %w", err)
	}
	return nil
}

// PublishBatch implements ports.Bus: one pipeline of PUBLISH commands,
// which Redis runs in order.
func (b *Bus) PublishBatch(ctx context.Context, topic string, payloads [][]byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis bus: %w", err)
	}
	if err := ports.ValidateBatch(topic, payloads); err != nil {
		return err
	}
	if len(payloads) == 0 {
		return nil
	}
	_, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, payload := range payloads {
			if payload == nil {
				payload = []byte{}
			}
			p.Publish(ctx, b.prefix+topic, payload)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis bus: publish batch: %w", err)
	}
	return nil
}

// Subscribe implements ports.Bus. It returns once Redis has confirmed the
// topic's subscription on the shared connection.
func (b *Bus) Subscribe(ctx context.Context, topic string) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redis bus: %w", err)
	}
	if err := ports.ValidateTopic(topic); err != nil {
		return nil, err
	}
	b.start.Do(func() { go b.receiveLoop() })

	s := &busSub{bus: b, topic: topic, ch: make(chan ports.Message, b.buffer)}
	ready := make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, domain.Conflictf("redis bus: closed")
	}
	t := b.topics[topic]
	if t == nil {
		t = &busTopic{subs: make(map[*busSub]struct{})}
		b.topics[topic] = t
	}
	if !t.subscribed {
		// Sent under b.mu so SUBSCRIBE and UNSUBSCRIBE of a topic reach
		// Redis in the order of the state changes they stand for.
		if err := b.ps.Subscribe(ctx, b.prefix+topic); err != nil {
			// go-redis remembers the channel even when the command failed;
			// make it forget, or a reconnect would subscribe it again.
			_ = b.ps.Unsubscribe(context.Background(), b.prefix+topic)
			b.forgetIfIdle(topic, t)
			b.mu.Unlock()
			return nil, fmt.Errorf("redis bus: subscribe: %w", err)
		}
		t.subscribed = true
		t.sent++
	}
	t.subs[s] = struct{}{}
	if t.confirmed >= t.sent {
		close(ready)
	} else {
		t.waiters = append(t.waiters, busWaiter{target: t.sent, ready: ready})
	}
	b.mu.Unlock()

	select {
	case <-ready:
	case <-ctx.Done():
		_ = s.Close()
		return nil, fmt.Errorf("redis bus: subscribe: %w", ctx.Err())
	case <-b.stop:
		_ = s.Close()
		return nil, domain.Conflictf("redis bus: closed")
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	s.mu.Lock()
	s.stopCtx = stop
	s.mu.Unlock()
	return s, nil
}

// Close ends every subscription and the pub/sub connection. Safe to call twice.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	var subs []*busSub
	for _, t := range b.topics {
		for s := range t.subs {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()

	err := b.ps.Close()
	started := true
	b.start.Do(func() { started = false }) // never started: nothing to wait for
	if started {
		<-b.loopDone
	}
	for _, s := range subs {
		_ = s.Close()
	}
	if err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("redis bus: close: %w", err)
	}
	return nil
}

// receiveLoop reads the shared connection until Close.
func (b *Bus) receiveLoop() {
	defer close(b.loopDone)
	ctx := context.Background()
	backoff := 50 * time.Millisecond
	for {
		msg, err := b.ps.ReceiveTimeout(ctx, busPingEvery)
		if err != nil {
			select {
			case <-b.stop:
				return
			default:
			}
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				_ = b.ps.Ping(ctx) // its Pong (or the broken connection) comes back through Receive
				continue
			}
			// The connection broke: go-redis redials and resubscribes on the
			// next Receive. Wait a little so a dead server is not hammered.
			select {
			case <-b.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *goredis.Message:
			b.dispatch(m)
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				b.confirm(m.Channel)
			}
		}
	}
}

// dispatch offers one message to the topic's local subscribers.
func (b *Bus) dispatch(m *goredis.Message) {
	topic, ok := strings.CutPrefix(m.Channel, b.prefix)
	if !ok {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[topic]
	if t == nil || len(t.subs) == 0 {
		return
	}
	msg := ports.Message{Topic: topic, Payload: []byte(m.Payload)}
	for s := range t.subs {
		select {
		case s.ch <- msg:
		default:
			s.dropped.Add(1)
		}
	}
}

// confirm records a subscribe confirmation and wakes the Subscribe calls it
// satisfies. Confirmations beyond the SUBSCRIBEs sent (go-redis resubscribing
// after a reconnect) are not counted.
func (b *Bus) confirm(channel string) {
	topic, ok := strings.CutPrefix(channel, b.prefix)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[topic]
	if t == nil {
		return
	}
	t.confirmed = min(t.confirmed+1, t.sent)
	kept := t.waiters[:0]
	for _, w := range t.waiters {
		if t.confirmed >= w.target {
			close(w.ready)
		} else {
			kept = append(kept, w)
		}
	}
	t.waiters = kept
	b.forgetIfIdle(topic, t)
}

// forgetIfIdle drops a topic's state once it has no subscriber and no
// pending confirmation. Called with b.mu held.
func (b *Bus) forgetIfIdle(topic string, t *busTopic) {
	if len(t.subs) == 0 && t.confirmed >= t.sent {
		delete(b.topics, topic)
	}
}

// remove detaches s and closes its channel; the last local subscriber of a
// topic unsubscribes it.
func (b *Bus) remove(s *busSub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topics[s.topic]; t != nil {
		delete(t.subs, s)
		if len(t.subs) == 0 {
			if t.subscribed && !b.closed {
				// A failure means the connection broke; go-redis has already
				// dropped the channel from those it resubscribes.
				_ = b.ps.Unsubscribe(context.Background(), b.prefix+s.topic)
			}
			t.subscribed = false
			b.forgetIfIdle(s.topic, t)
		}
	}
	close(s.ch) // under b.mu: no dispatch is sending to it
}

type busSub struct {
	bus     *Bus
	topic   string
	ch      chan ports.Message
	dropped atomic.Uint64
	once    sync.Once

	mu      sync.Mutex
	stopCtx func() bool // unregisters the ctx watch; nil until Subscribe sets it
}

func (s *busSub) C() <-chan ports.Message { return s.ch }

func (s *busSub) Dropped() uint64 { return s.dropped.Load() }

func (s *busSub) Close() error {
	s.once.Do(func() {
		s.bus.remove(s)
		s.mu.Lock()
		stop := s.stopCtx
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
	})
	return nil
}
