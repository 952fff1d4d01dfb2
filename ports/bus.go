package ports

import (
	"context"
	"unicode"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// MaxTopicLen is the longest topic name, in bytes.
const MaxTopicLen = 200

// MaxPayload is the largest message payload, in bytes (1 MiB).
const MaxPayload = 1 << 20

// Message is one published payload as a subscriber receives it.
type Message struct {
	Topic string
	// Payload is a copy taken at Publish (the publisher may reuse its
	// buffer) and may be shared by every subscriber of the same node: treat
	// it as read-only.
	Payload []byte
}

// Subscription is one subscriber's feed of a topic.
type Subscription interface {
	// C delivers the messages. It is closed when the subscription ends:
	// Close, the Subscribe ctx done, or the bus itself closed.
	C() <-chan Message
	// Dropped counts the messages this subscription lost because its buffer
	// was full.
	Dropped() uint64
	// Close ends the subscription and closes C. Safe to call twice.
	Close() error
}

// Bus is publish/subscribe between the server nodes (a command or a
// terminal stream for an agent held by another node crosses it).
// Implementations: adapters/memory (one process, nodes share a Broker),
// adapters/redis (Redis pub/sub).
//
// Semantics, identical in every adapter and asserted by ports/bustest:
//   - At most once: a message reaches every subscription of its topic, on
//     any node, that was active (Subscribe returned) when Publish was called
//     and is still open; nothing is stored for later subscribers and nothing
//     is redelivered. Delivery may be lost when a backend connection drops.
//   - Every subscription has a bounded buffer. When it is full the incoming
//     message is dropped for that subscription only and counted in Dropped:
//     a slow subscriber never blocks publishers or other subscribers.
//   - Messages from one publisher (sequential Publish calls) to one topic
//     reach each subscriber in publish order (minus drops).
//   - A topic is 1..MaxTopicLen bytes of valid UTF-8 without whitespace or
//     control characters, matched exactly (no patterns); a payload is at
//     most MaxPayload bytes (empty is fine). Anything else is
//     domain.ErrInvalid.
//   - Publish with a done ctx, and Subscribe with a done ctx, are errors
//     wrapping ctx.Err(); once Subscribe has returned, its ctx bounds the
//     subscription's life.
type Bus interface {
	// Publish sends payload to the current subscribers of topic. It does not
	// wait for them to read it.
	Publish(ctx context.Context, topic string, payload []byte) error
	// PublishBatch is Publish of each payload in turn, in one round trip
	// to the backend where it has them (Redis: one pipeline). Every payload
	// is checked first: one invalid payload sends none.
	PublishBatch(ctx context.Context, topic string, payloads [][]byte) error
	// Subscribe returns once the subscription is active: a message published
	// after it returns reaches it.
	Subscribe(ctx context.Context, topic string) (Subscription, error)
}

// ValidateTopic reports a topic name the Bus does not accept as domain.ErrInvalid.
func ValidateTopic(topic string) error {
	if topic == "" {
		return domain.Invalidf("bus: empty topic")
	}
	if len(topic) > MaxTopicLen {
		return domain.Invalidf("bus: topic of %d bytes, max %d", len(topic), MaxTopicLen)
	}
	if !utf8.ValidString(topic) {
		return domain.Invalidf("bus: topic is not valid UTF-8")
	}
	for _, r := range topic {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return domain.Invalidf("bus: topic %q holds whitespace or a control character", topic)
		}
	}
	return nil
}

// ValidateBatch is ValidateTopic and ValidatePayload for a PublishBatch.
func ValidateBatch(topic string, payloads [][]byte) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	for _, p := range payloads {
		if err := ValidatePayload(p); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePayload reports a payload larger than MaxPayload as domain.ErrInvalid.
func ValidatePayload(payload []byte) error {
	if len(payload) > MaxPayload {
		return domain.Invalidf("bus: payload of %d bytes, max %d", len(payload), MaxPayload)
	}
	return nil
}
