package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Why a session ended (the close row's reason, and the browser's).
const (
	ReasonClosed         = "closed"              // the browser closed it
	ReasonIdle           = "idle"                // no input for IdleTimeout
	ReasonLoggedOut      = "logged_out"          // the session was revoked or the user disabled
	ReasonPermissionLost = "permission_lost"     // remote:access no longer covers the device
	ReasonDeviceGone     = "device_gone"         // deleted or decommissioned
	ReasonDisconnected   = "device_disconnected" // the agent's link is gone
	ReasonShutdown       = "server_shutdown"
	ReasonRecheckFailed  = "recheck_failed" // the store did not answer the periodic checks
	ReasonStreamEnded    = "stream_ended"   // the bus subscription ended
	ReasonExited         = "exited"         // the agent ended it (its reason is passed on when it gives one)
	ReasonRefused        = "refused"        // the agent would not start it (agent/terminal's reason)
)

// Session is one live terminal. Read Output until it is closed, then End
// says why the session ended.
type Session struct {
	ID       string
	DeviceID string

	b                 *Broker
	ctx               context.Context
	cancel            context.CancelFunc
	sub               ports.Subscription
	revoked           <-chan struct{}
	userID, sessionID string
	partnerID, orgID  string
	client            Client
	started           time.Time
	lastInput         atomic.Int64 // unix nanos
	out               chan []byte
	stop, done        chan struct{}
	running           chan struct{} // closed at the agent's first output
	runOnce           sync.Once
	once              sync.Once
	reason            string
	exitCode          *int
}

// Output delivers the PTY's bytes; it is closed when the session ends.
func (s *Session) Output() <-chan []byte { return s.out }

// Done is closed once the session has ended and its close row is written.
func (s *Session) Done() <-chan struct{} { return s.done }

// End returns why the session ended and the shell's exit code when the
// agent reported one. Valid once Output is closed or Done is.
func (s *Session) End() (reason string, exitCode *int) { return s.reason, s.exitCode }

func (s *Session) ended() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Started waits until the agent has started the PTY, so the browser hears
// "ready" only for a session that runs. The agent's first output says it
// started (agents send an empty one as soon as the PTY runs); a session the
// agent ends first was refused (ErrRefused) or ended (ErrClosed). An agent
// from before that signal whose shell prints nothing counts as started
// after Deps.StartWait.
func (s *Session) Started(ctx context.Context) error {
	wait := time.NewTimer(s.b.d.StartWait)
	defer wait.Stop()
	select {
	case <-s.running:
		return nil
	case <-s.stop:
		select {
		case <-s.running:
			return nil // it ran, then ended: the browser reads the end
		default:
		}
		if s.reason == ReasonRefused {
			return ErrRefused
		}
		return fmt.Errorf("%w before it started (%s)", ErrClosed, s.reason)
	case <-wait.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Input sends keystrokes to the PTY.
func (s *Session) Input(ctx context.Context, data []byte) error {
	if s.ended() {
		return ErrClosed
	}
	s.lastInput.Store(time.Now().UnixNano())
	return s.send(ctx, protocol.TerminalInput{Header: protocol.Header{Type: protocol.TypeTerminalInput, ID: s.ID}, Data: data})
}

// Resize changes the PTY's size.
func (s *Session) Resize(ctx context.Context, cols, rows int) error {
	if s.ended() {
		return ErrClosed
	}
	if cols < 1 || rows < 1 || cols > maxDimension || rows > maxDimension {
		return domain.Invalidf("cols and rows must be between 1 and %d", maxDimension)
	}
	return s.send(ctx, protocol.TerminalResize{Header: protocol.Header{Type: protocol.TypeTerminalResize, ID: s.ID}, Cols: cols, Rows: rows})
}

// Close ends the session at the browser's request.
func (s *Session) Close() { s.finish(ReasonClosed, nil, false) }

func (s *Session) send(ctx context.Context, frame any) error {
	err := s.b.d.Relay.ToAgent(ctx, s.DeviceID, frame)
	switch {
	case errors.Is(err, relay.ErrNotLinked):
		go s.finish(ReasonDisconnected, nil, false)
		return fmt.Errorf("%w (%v)", ErrOffline, err)
	case err != nil:
		return fmt.Errorf("terminal: send to the agent: %w", err)
	}
	return nil
}

// pump relays the agent's stream frames to Output.
func (s *Session) pump() {
	defer close(s.out)
	for {
		select {
		case <-s.stop:
			return
		case m, ok := <-s.sub.C():
			if !ok {
				s.finish(ReasonStreamEnded, nil, false)
				return
			}
			typ, err := protocol.PeekType(m.Payload)
			if err != nil {
				continue
			}
			switch typ {
			case protocol.TypeTerminalOutput:
				var f protocol.TerminalOutput
				if json.Unmarshal(m.Payload, &f) != nil {
					continue
				}
				s.runOnce.Do(func() { close(s.running) })
				if len(f.Data) == 0 {
					continue // the agent's "started" signal
				}
				select {
				case s.out <- f.Data:
				case <-s.stop:
					return
				}
			case protocol.TypeTerminalClosed:
				var f protocol.TerminalClosed
				_ = json.Unmarshal(m.Payload, &f)
				reason := f.Reason
				if reason == "" {
					reason = ReasonExited
				}
				s.finish(reason, f.ExitCode, true)
				return
			}
		}
	}
}

// watch enforces the session's life rules.
func (s *Session) watch() {
	d := s.b.d
	recheck := time.NewTicker(d.RecheckEvery)
	defer recheck.Stop()
	idleEvery := d.IdleTimeout / 4
	if idleEvery > d.RecheckEvery {
		idleEvery = d.RecheckEvery
	}
	idle := time.NewTicker(idleEvery)
	defer idle.Stop()
	failures := 0
	for {
		select {
		case <-s.stop:
			return
		case <-s.ctx.Done():
			s.finish(ReasonClosed, nil, false)
			return
		case <-s.revoked:
			s.finish(ReasonLoggedOut, nil, false)
			return
		case <-idle.C:
			if time.Since(time.Unix(0, s.lastInput.Load())) >= d.IdleTimeout {
				s.finish(ReasonIdle, nil, false)
				return
			}
		case <-recheck.C:
			reason, err := s.recheck()
			if err != nil {
				failures++
				d.Logger.Warn("terminal: session check failed", "session_id", s.ID, "error", err)
				if failures >= recheckFailures {
					reason = ReasonRecheckFailed
				}
			} else {
				failures = 0
			}
			if reason != "" {
				s.finish(reason, nil, false)
				return
			}
		}
	}
}

// recheck re-validates the user's session, their remote:access over the
// device and the device itself; it returns the reason to end, if any.
func (s *Session) recheck() (string, error) {
	ctx := s.ctx
	p, err := s.b.d.Auth.PrincipalForSession(ctx, s.userID, s.sessionID)
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		return ReasonLoggedOut, nil
	case err != nil:
		return "", err
	}
	_, err = tickets.CheckDevice(ctx, s.b.d.Devices, p, s.DeviceID)
	if err == nil && !s.b.d.Relay.Reachable(ctx, s.DeviceID) {
		return ReasonDisconnected, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	// Out of reach: gone for everyone, or only for this user?
	dev, gerr := s.b.d.Devices.Get(ctx, domain.GlobalScope(), s.DeviceID)
	if errors.Is(gerr, domain.ErrNotFound) || (gerr == nil && dev.Status == domain.DeviceDecommissioned) {
		return ReasonDeviceGone, nil
	}
	return ReasonPermissionLost, nil
}

// finish ends the session once: it records why, stops the loops, tells the
// agent (unless the agent ended it), releases the slot and writes the close
// row. Concurrent callers wait for the first to complete.
func (s *Session) finish(reason string, exitCode *int, byAgent bool) {
	s.once.Do(func() {
		s.reason, s.exitCode = reason, exitCode
		close(s.stop)
		if !byAgent {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), time.Second)
			_ = s.b.d.Relay.ToAgent(ctx, s.DeviceID, protocol.TerminalClose{Header: protocol.Header{Type: protocol.TypeTerminalClose, ID: s.ID}})
			cancel()
		}
		s.cancel()
		s.b.release(s.userID, s.ID)
		row := domain.AuditEntry{
			ActorType: string(domain.PrincipalUser), ActorID: s.userID, Action: ActionClose,
			ResourceType: "device", ResourceID: s.DeviceID, PartnerID: s.partnerID, OrgID: s.orgID,
			IP: s.client.IP, UserAgent: s.client.UserAgent, RequestID: s.client.RequestID,
		}
		details := map[string]any{"sessionId": s.ID, "durationMs": time.Since(s.started).Milliseconds(), "reason": reason}
		if exitCode != nil {
			details["exitCode"] = *exitCode
		}
		s.b.appendRow(s.ctx, row, domain.OutcomeSuccess, details)
		close(s.done)
	})
}
