package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DefaultBusBuffer is each subscription's buffer when BusOptions.Buffer is zero.
const DefaultBusBuffer = 256

// Broker is the in-process message exchange. Every Bus on the same Broker
// sees the others' messages, as server nodes sharing Redis would; the
// embedded profile has one Bus on one Broker.
type Broker struct {
	mu     sync.RWMutex
	topics map[string]map[*busSub]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{topics: make(map[string]map[*busSub]struct{})}
}

// BusOptions configures NewBus.
type BusOptions struct {
	// Broker is shared with other Bus instances (nil: a private one).
	Broker *Broker
	// Buffer is each subscription's buffer, in messages (0: DefaultBusBuffer).
	Buffer int
}

// Bus is the in-process ports.Bus. Publish copies the payload once and
// offers it to every subscription without blocking (a full buffer drops).
type Bus struct {
	broker *Broker
	buffer int

	mu     sync.Mutex
	subs   map[*busSub]struct{} // this Bus's, closed by Close
	closed bool
}

var _ ports.Bus = (*Bus)(nil)

// NewBus returns a Bus on opts.Broker.
func NewBus(opts BusOptions) *Bus {
	if opts.Broker == nil {
		opts.Broker = NewBroker()
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBusBuffer
	}
	return &Bus{broker: opts.Broker, buffer: opts.Buffer, subs: make(map[*busSub]struct{})}
}

// Publish implements ports.Bus.
func (b *Bus) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory bus: %w", err)
	}
	if err := ports.ValidateTopic(topic); err != nil {
		return err
	}
	if err := ports.ValidatePayload(payload); err != nil {
		return err
	}
	msg := ports.Message{Topic: topic, Payload: append([]byte{}, payload...)}
	// Sends happen under the read lock: a subscription is removed under the
	// write lock before its channel is closed, so no send hits a closed
	// channel, and publishers do not wait for one another.
	b.broker.mu.RLock()
	defer b.broker.mu.RUnlock()
	for s := range b.broker.topics[topic] {
		select {
		case s.ch <- msg:
		default:
			s.dropped.Add(1)
		}
	}
	return nil
}

// PublishBatch implements ports.Bus: in memory there is no round trip to
// save, so it is Publish of each payload once all are checked.
func (b *Bus) PublishBatch(ctx context.Context, topic string, payloads [][]byte) error {
	if err := ports.ValidateBatch(topic, payloads); err != nil {
		return err
	}
	for _, p := range payloads {
		if err := b.Publish(ctx, topic, p); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe implements ports.Bus.
func (b *Bus) Subscribe(ctx context.Context, topic string) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory bus: %w", err)
	}
	if err := ports.ValidateTopic(topic); err != nil {
		return nil, err
	}
	s := &busSub{bus: b, topic: topic, ch: make(chan ports.Message, b.buffer)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, domain.Conflictf("memory bus: closed")
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()

	b.broker.mu.Lock()
	set := b.broker.topics[topic]
	if set == nil {
		set = make(map[*busSub]struct{})
		b.broker.topics[topic] = set
	}
	set[s] = struct{}{}
	b.broker.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	s.mu.Lock()
	s.stopCtx = stop
	s.mu.Unlock()
	return s, nil
}

// Close ends every subscription made through this Bus. Safe to call twice.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	subs := make([]*busSub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		_ = s.Close()
	}
	return nil
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
		br := s.bus.broker
		br.mu.Lock()
		if set := br.topics[s.topic]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(br.topics, s.topic)
			}
		}
		br.mu.Unlock()
		close(s.ch)

		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
		s.mu.Lock()
		stop := s.stopCtx
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
	})
	return nil
}
