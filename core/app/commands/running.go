package commands

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Writing "running" late. Most commands end within moments of their
// agent's acknowledgement, and "running" then costs a conditional write
// (on PostgreSQL a new row version in every index of commands) that the
// result overwrites at once. So an acknowledgement of a command this node
// itself just sent over the device's link is written DefaultRunningDelay
// later, unless the result came first and cancelled it: a browser sees
// "running" for commands that run, and sent → done for those that do not.
//
// Only such acknowledgements wait: the node knows the command is the
// device's without reading it. Any other (a command sent by another node,
// redelivered at a hello, or not the device's at all) is checked and
// written at once, so a forged acknowledgement is still refused there and
// then. A node stopping loses the acknowledgements still waiting: their
// commands stay "sent", which the sweep and the redelivery at the next
// hello treat exactly as "running".

// DefaultRunningDelay is Deps.RunningDelay's default.
const DefaultRunningDelay = time.Second

// maxSentHere bounds the commands remembered as sent by this node; past
// it, new ones are acknowledged the checked way.
const maxSentHere = 1 << 16

// sentHereTTL is how long a remembered send waits for its acknowledgement.
const sentHereTTL = time.Minute

// lateRunning is the node's memory of its own sends and of the
// acknowledgements waiting to be written.
type lateRunning struct {
	mu      sync.Mutex
	sent    map[string]sentCommand // command id → where it went
	waiting map[string]waitingAck  // command id → its "running" write
}

type waitingAck struct {
	deviceID string
	timer    *time.Timer
}

type sentCommand struct {
	deviceID string
	at       time.Time
}

func newLateRunning() *lateRunning {
	return &lateRunning{sent: map[string]sentCommand{}, waiting: map[string]waitingAck{}}
}

// sentTo remembers that this node handed command id to deviceID's link.
func (l *lateRunning) sentTo(id, deviceID string) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) >= maxSentHere {
		for k, v := range l.sent {
			if now.Sub(v.at) > sentHereTTL {
				delete(l.sent, k)
			}
		}
		if len(l.sent) >= maxSentHere {
			return
		}
	}
	l.sent[id] = sentCommand{deviceID: deviceID, at: now}
}

// take reports whether command id went to deviceID, and forgets the send
// when it did (another device's frame leaves it be).
func (l *lateRunning) take(id, deviceID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sent[id]
	if !ok || s.deviceID != deviceID {
		return false
	}
	delete(l.sent, id)
	return time.Since(s.at) <= sentHereTTL
}

// wait runs write after delay unless cancel(id, deviceID) comes first.
func (l *lateRunning) wait(id, deviceID string, delay time.Duration, write func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.waiting[id]; dup {
		return // a repeated acknowledgement
	}
	l.waiting[id] = waitingAck{deviceID: deviceID, timer: time.AfterFunc(delay, func() {
		l.mu.Lock()
		_, still := l.waiting[id]
		delete(l.waiting, id)
		l.mu.Unlock()
		if still {
			write()
		}
	})}
}

// cancel drops command id's waiting write and its remembered send: its
// result came from deviceID (another device's frame cancels nothing).
func (l *lateRunning) cancel(id, deviceID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.waiting[id]; ok && w.deviceID == deviceID {
		w.timer.Stop()
		delete(l.waiting, id)
	}
	if s, ok := l.sent[id]; ok && s.deviceID == deviceID {
		delete(l.sent, id)
	}
}

// writeRunning records the acknowledgement as it came (at). A command
// that moved on meanwhile (its result, a cancel) is left as it is.
func (s *Service) writeRunning(ctx context.Context, deviceID, id string, at time.Time) error {
	upd, err := s.d.Store.Commands().TransitionForDevice(ctx, deviceID, id, []domain.CommandStatus{domain.CommandQueued, domain.CommandSent},
		domain.CommandUpdate{Status: domain.CommandRunning, StartedAt: &at})
	if errors.Is(err, domain.ErrConflict) {
		return nil // a repeat ack, or already finished
	}
	if err != nil {
		return err
	}
	s.publish(ctx, upd)
	return nil
}

// writeRunningLater is writeRunning after the delay, on its own context.
func (s *Service) writeRunningLater(deviceID, id string, at time.Time) {
	s.late.wait(id, deviceID, s.d.RunningDelay, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.writeRunning(ctx, deviceID, id, at); err != nil {
			s.d.Logger.Warn("command acknowledgement not stored", "command_id", id, "error", err)
		}
	})
}
