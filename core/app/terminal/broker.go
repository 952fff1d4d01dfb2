// Package terminal brokers browser terminal sessions to agents over the
// relay, on whichever node holds the device's link. A session is bound to
// the signed-in user's session (refresh family): it re-validates that the
// user is still signed in, still holds remote:access over the device and
// that the device still exists every RecheckEvery, ends at once on a
// revocation announced on tickets.RevokedTopic, ends after IdleTimeout
// without input, and writes one audit row when it opens and one when it
// ends (remote.terminal.open / remote.terminal.close).
package terminal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Defaults.
const (
	DefaultIdleTimeout  = 15 * time.Minute
	DefaultRecheckEvery = 5 * time.Second
	DefaultMaxPerUser   = 8
	DefaultStartWait    = 5 * time.Second
	DefaultCols         = 80
	DefaultRows         = 24
	maxDimension        = 1000
	outputBuffer        = 64
	auditTimeout        = 5 * time.Second
	recheckFailures     = 3 // consecutive store errors before a session ends (fail closed)
)

// ErrOffline: no node holds a live link of the device.
var ErrOffline = domain.Conflictf("the device is not connected right now")

// ErrClosed: the session has ended.
var ErrClosed = errors.New("terminal: session closed")

// ErrRefused: the agent would not start the session (its session limit,
// or no shell to run).
var ErrRefused = domain.Conflictf("the device refused the terminal: it has too many sessions open or cannot start a shell")

// Relay is what the broker needs of *relay.Relay.
type Relay interface {
	Subscribe(ctx context.Context, deviceID, streamID string) (ports.Subscription, error)
	ToAgent(ctx context.Context, deviceID string, frame any) error
	// Reachable: some node holds a live link of the device (the periodic
	// check ends a session whose device is no longer linked anywhere).
	Reachable(ctx context.Context, deviceID string) bool
}

// AuditLog appends audit rows (ports.AuditStore implements it).
type AuditLog interface {
	Append(ctx context.Context, e *domain.AuditEntry) error
}

// Deps are the broker's collaborators and settings.
type Deps struct {
	Relay   Relay
	Bus     ports.Bus // revocations (tickets.RevokedTopic)
	Devices tickets.Devices
	Auth    tickets.Reauth
	Audit   AuditLog
	Logger  ports.Logger
	// IdleTimeout ends a session after this long without input (default
	// 15 min); the agent is told the same.
	IdleTimeout time.Duration
	// RecheckEvery is how often a session re-validates its user, grants
	// and device (default 5 s).
	RecheckEvery time.Duration
	// MaxPerUser bounds one user's concurrent sessions on this node
	// (default 8; negative: unbounded).
	MaxPerUser int
	// StartWait bounds Session.Started's wait for an agent that never says
	// its PTY started (agents before that signal, with a silent shell);
	// default 5 s.
	StartWait time.Duration
}

// Broker opens and tracks this node's terminal sessions.
type Broker struct {
	d Deps

	mu       sync.Mutex
	sessions map[string]*Session
	perUser  map[string]int
	closed   bool
}

// New checks deps and fills defaults.
func New(d Deps) (*Broker, error) {
	if d.Relay == nil || d.Bus == nil || d.Devices == nil || d.Auth == nil || d.Audit == nil {
		return nil, errors.New("terminal: Relay, Bus, Devices, Auth and Audit are required")
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	if d.RecheckEvery <= 0 {
		d.RecheckEvery = DefaultRecheckEvery
	}
	if d.MaxPerUser == 0 {
		d.MaxPerUser = DefaultMaxPerUser
	}
	if d.StartWait <= 0 {
		d.StartWait = DefaultStartWait
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	return &Broker{d: d, sessions: map[string]*Session{}, perUser: map[string]int{}}, nil
}

// Client describes where the browser is, for the audit rows.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

// OpenRequest asks for a terminal on a device.
type OpenRequest struct {
	DeviceID   string
	Cols, Rows int // 0: 80×24
	Client     Client
}

// Open starts a session for p on the device: it subscribes to the
// session's stream, then asks the agent (wherever its link is) to open a
// PTY. The session lives until it is closed, ctx ends, or one of the rules
// of the package ends it. Errors: ErrNotFound (device outside p's
// remote:access scope, or gone), ErrInvalid (size), ErrConflict (device
// offline: ErrOffline; too many sessions), ErrForbidden (not a user session).
func (b *Broker) Open(ctx context.Context, p *domain.Principal, req OpenRequest) (*Session, error) {
	if p == nil || p.Kind != domain.PrincipalUser || p.SessionID == "" {
		return nil, domain.Forbiddenf("a terminal needs a signed-in user")
	}
	cols, rows, err := size(req.Cols, req.Rows)
	if err != nil {
		return nil, err
	}
	row := b.baseRow(p, req.DeviceID, req.Client, ActionOpen)
	dev, err := tickets.CheckDevice(ctx, b.d.Devices, p, req.DeviceID)
	if err != nil {
		b.appendRow(ctx, row, outcomeOf(err), map[string]any{"reason": reasonOf(err)})
		return nil, err
	}
	row.PartnerID, row.OrgID = dev.PartnerID, dev.OrgID
	if err := b.reserve(p.UserID); err != nil {
		b.appendRow(ctx, row, domain.OutcomeDenied, map[string]any{"reason": "too_many_sessions"})
		return nil, err
	}
	s, err := b.start(ctx, p, dev, cols, rows, req.Client)
	if err != nil {
		b.release(p.UserID, "")
		b.appendRow(ctx, row, domain.OutcomeFailure, map[string]any{"reason": reasonOf(err)})
		return nil, err
	}
	b.appendRow(ctx, row, domain.OutcomeSuccess, map[string]any{"sessionId": s.ID, "cols": cols, "rows": rows})
	go s.pump()
	go s.watch()
	return s, nil
}

func size(cols, rows int) (int, int, error) {
	if cols == 0 && rows == 0 {
		return DefaultCols, DefaultRows, nil
	}
	if cols < 1 || rows < 1 || cols > maxDimension || rows > maxDimension {
		return 0, 0, domain.Invalidf("cols and rows must be between 1 and %d", maxDimension)
	}
	return cols, rows, nil
}

// start subscribes to the stream and the revocations, then sends
// terminal_open: subscribing first so no answer of the agent is missed.
func (b *Broker) start(ctx context.Context, p *domain.Principal, dev *domain.Device, cols, rows int, c Client) (*Session, error) {
	sctx, cancel := context.WithCancel(ctx)
	s := &Session{
		ID: domain.NewID(), DeviceID: dev.ID, b: b, ctx: sctx, cancel: cancel,
		userID: p.UserID, sessionID: p.SessionID, partnerID: dev.PartnerID, orgID: dev.OrgID, client: c,
		started: time.Now(), out: make(chan []byte, outputBuffer), stop: make(chan struct{}), done: make(chan struct{}),
		running: make(chan struct{}),
	}
	s.lastInput.Store(s.started.UnixNano())
	revoked, err := tickets.WatchRevoked(sctx, b.d.Bus, p.UserID, p.SessionID)
	if err != nil {
		cancel()
		return nil, err
	}
	s.revoked = revoked
	if s.sub, err = b.d.Relay.Subscribe(sctx, dev.ID, s.ID); err != nil {
		cancel()
		return nil, fmt.Errorf("terminal: subscribe to the stream: %w", err)
	}
	idle := int(b.d.IdleTimeout / time.Second)
	if idle < 1 {
		idle = 1
	}
	err = b.d.Relay.ToAgent(sctx, dev.ID, protocol.TerminalOpen{
		Header: protocol.Header{Type: protocol.TypeTerminalOpen, ID: s.ID}, Cols: cols, Rows: rows, IdleTimeoutSeconds: idle,
	})
	if err != nil {
		cancel()
		if errors.Is(err, relay.ErrNotLinked) || errors.Is(err, relay.ErrNotDelivered) {
			return nil, fmt.Errorf("%w (%v)", ErrOffline, err)
		}
		return nil, fmt.Errorf("terminal: send terminal_open: %w", err)
	}
	b.mu.Lock()
	b.sessions[s.ID] = s
	b.mu.Unlock()
	return s, nil
}

func (b *Broker) reserve(userID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return domain.Conflictf("the server is shutting down")
	}
	if b.d.MaxPerUser > 0 && b.perUser[userID] >= b.d.MaxPerUser {
		return domain.Conflictf("you have %d terminal sessions open already; close one first", b.d.MaxPerUser)
	}
	b.perUser[userID]++
	return nil
}

func (b *Broker) release(userID, sessionID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perUser[userID]--; b.perUser[userID] <= 0 {
		delete(b.perUser, userID)
	}
	if sessionID != "" {
		delete(b.sessions, sessionID)
	}
}

// Count is the number of live sessions on this node.
func (b *Broker) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sessions)
}

// Shutdown ends every session (reason server_shutdown) and waits for their
// close rows, or ctx. New sessions are refused from then on.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	all := make([]*Session, 0, len(b.sessions))
	for _, s := range b.sessions {
		all = append(all, s)
	}
	b.mu.Unlock()
	for _, s := range all {
		go s.finish(ReasonShutdown, nil, false)
	}
	for _, s := range all {
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
