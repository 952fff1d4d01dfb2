package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/breeze-rmm/breeze/protocol"
)

// Remote handles the remote-work frames (commands, terminal, files) that
// the server sends: the types protocol.RemoteFrom(typ, protocol.ToAgent) names. The link calls Linked once a session is welcomed and
// before any frame of that session is handed over, Handle for each remote
// frame, and Unlinked after the session's last Handle.
type Remote interface {
	// Linked gives the session's outbound queue; it must not block.
	Linked(out Outbound)
	// Handle gets one remote frame on the link's reader goroutine: it
	// must return quickly (hand long work to another goroutine). ctx
	// lives as long as the agent, not the session.
	Handle(ctx context.Context, typ string, raw []byte)
	// Unlinked says the session ended: its Outbound refuses new frames.
	Unlinked()
}

// Outbound sends frames on one session. Safe for many goroutines.
type Outbound interface {
	// Send queues v and waits until the write loop wrote it (nil), the
	// session ended (ErrLinkDown) or ctx ended. It fails at once on a frame
	// larger than the server accepts (ErrFrameTooLarge).
	Send(ctx context.Context, v any) error
}

// ErrLinkDown: the session ended before the frame was written.
var ErrLinkDown = errors.New("link is down")

// ErrFrameTooLarge: the frame exceeds protocol.MaxAgentFrame.
var ErrFrameTooLarge = errFrameTooLarge

// outItem is one encoded frame and where to report its write.
type outItem struct {
	data []byte
	done chan error // buffered 1
}

// outbox is a session's bounded outbound queue; the write loop drains it.
type outbox struct {
	ch       chan outItem
	closed   chan struct{}
	closeOne sync.Once
	acks     bool // the server acknowledges stored results (welcome)
}

// ResultAcks reports whether this session's server answers each stored
// command_result with command_stored (protocol.Welcome.ResultAcks).
func (o *outbox) ResultAcks() bool { return o.acks }

// outboxSize bounds queued frames: senders wait (backpressure), the reader
// never does.
const outboxSize = 64

func newOutbox() *outbox {
	return &outbox{ch: make(chan outItem, outboxSize), closed: make(chan struct{})}
}

func (o *outbox) close() { o.closeOne.Do(func() { close(o.closed) }) }

func (o *outbox) Send(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if len(data) > protocol.MaxAgentFrame {
		return fmt.Errorf("%w: %d > %d bytes", errFrameTooLarge, len(data), protocol.MaxAgentFrame)
	}
	it := outItem{data: data, done: make(chan error, 1)}
	select {
	case <-o.closed:
		return ErrLinkDown
	default:
	}
	select {
	case o.ch <- it:
	case <-o.closed:
		return ErrLinkDown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-it.done:
		return err
	case <-o.closed:
		select { // written just before the session ended?
		case err := <-it.done:
			return err
		default:
			return ErrLinkDown
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}
