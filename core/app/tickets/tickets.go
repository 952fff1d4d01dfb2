// Package tickets issues and redeems the one-use tickets that authorise a
// browser WebSocket (browsers cannot send an Authorization header on one).
// A ticket is bound to the user's session (refresh family), a purpose and,
// for a terminal, one device; it lives domain.TicketTTL and only its hash
// is stored. Redeeming rebuilds the principal from the session, so a ticket
// outliving a logout or a lost grant opens nothing.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Prefix marks a ticket secret.
const Prefix = "bwt_"

// maxTicketLen bounds what Redeem hashes (a real ticket is ~47 bytes).
const maxTicketLen = 128

// Reauth rebuilds a session's principal (auth.Service implements it).
type Reauth interface {
	PrincipalForSession(ctx context.Context, userID, sessionID string) (*domain.Principal, error)
}

// Devices reads a device within a scope (ports.DeviceStore implements it).
type Devices interface {
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Device, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Tickets ports.TicketStore
	Devices Devices
	Auth    Reauth
	Clock   ports.Clock   // nil: the system clock
	TTL     time.Duration // 0: domain.TicketTTL
}

// Service issues and redeems tickets.
type Service struct{ d Deps }

// New checks deps.
func New(d Deps) (*Service, error) {
	if d.Tickets == nil || d.Devices == nil || d.Auth == nil {
		return nil, errors.New("tickets: Tickets, Devices and Auth are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.TTL <= 0 {
		d.TTL = domain.TicketTTL
	}
	return &Service{d: d}, nil
}

// errBadTicket is the one answer for an unknown, spent, expired or misused
// ticket: nothing tells them apart.
var errBadTicket = domain.Unauthenticatedf("invalid or expired ticket")

// Issue mints a ticket for the signed-in user of p. API keys get none (a
// ticket stands in for a browser session). purpose events needs
// devices:read somewhere; terminal needs remote:access covering deviceID
// (a device outside that scope is ErrNotFound, like one that does not exist).
func (s *Service) Issue(ctx context.Context, p *domain.Principal, purpose, deviceID string) (string, time.Time, error) {
	if p == nil || p.Kind != domain.PrincipalUser || p.SessionID == "" {
		return "", time.Time{}, domain.Forbiddenf("WebSocket tickets are for signed-in users; API keys cannot open one")
	}
	if err := validate(purpose, deviceID); err != nil {
		return "", time.Time{}, err
	}
	if err := s.check(ctx, p, purpose, deviceID); err != nil {
		return "", time.Time{}, err
	}
	now := s.d.Clock.Now()
	secret := auth.NewSecret(Prefix)
	t := &domain.WSTicket{
		ID: domain.NewID(), Hash: auth.HashSecret(secret), UserID: p.UserID, SessionID: p.SessionID,
		Purpose: purpose, DeviceID: deviceID, CreatedAt: now, ExpiresAt: now.Add(s.d.TTL),
	}
	if err := s.d.Tickets.Create(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("store ticket: %w", err)
	}
	audit.Annotate(ctx, func(e *domain.AuditEntry) {
		e.Details = fmt.Sprintf(`{"purpose":%q,"ticketId":%q}`, purpose, t.ID)
	})
	return secret, t.ExpiresAt, nil
}

// Redeem spends ticket for purpose (and deviceID, for a terminal) and
// returns the principal of its session as it is now. A ticket presented for
// another purpose or device is spent all the same (a leaked ticket is
// burned by its first misuse).
func (s *Service) Redeem(ctx context.Context, ticket, purpose, deviceID string) (*domain.Principal, error) {
	if !strings.HasPrefix(ticket, Prefix) || len(ticket) > maxTicketLen {
		return nil, errBadTicket
	}
	t, err := s.d.Tickets.Consume(ctx, auth.HashSecret(ticket), s.d.Clock.Now())
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errBadTicket
	}
	if err != nil {
		return nil, fmt.Errorf("consume ticket: %w", err)
	}
	if t.Purpose != purpose || t.DeviceID != deviceID {
		return nil, errBadTicket
	}
	p, err := s.d.Auth.PrincipalForSession(ctx, t.UserID, t.SessionID)
	if err != nil {
		return nil, err
	}
	if p.MustEnrollTOTP {
		return nil, domain.Forbiddenf("your partner requires a second factor: enrol one first")
	}
	if err := s.check(ctx, p, purpose, deviceID); err != nil {
		return nil, err
	}
	return p, nil
}

func validate(purpose, deviceID string) error {
	switch purpose {
	case domain.TicketEvents:
		if deviceID != "" {
			return domain.Invalidf("an events ticket takes no deviceId")
		}
	case domain.TicketTerminal:
		if deviceID == "" {
			return domain.Invalidf("a terminal ticket needs a deviceId")
		}
	default:
		return domain.Invalidf("purpose must be %q or %q", domain.TicketEvents, domain.TicketTerminal)
	}
	return nil
}

// check is the permission a purpose needs, at issue and again at redemption.
func (s *Service) check(ctx context.Context, p *domain.Principal, purpose, deviceID string) error {
	if purpose == domain.TicketEvents {
		if !p.Can(domain.PermDevicesRead) {
			return domain.Forbiddenf("you lack the %s permission", domain.PermDevicesRead)
		}
		return nil
	}
	d, err := CheckDevice(ctx, s.d.Devices, p, deviceID)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "device", d.ID, d.PartnerID, d.OrgID)
	return nil
}

// CheckDevice loads a device the principal may work on remotely: covered
// by its remote:access scope (else ErrNotFound, no existence oracle) and not
// decommissioned (ErrNotFound too: it is gone for remote work).
func CheckDevice(ctx context.Context, devices Devices, p *domain.Principal, deviceID string) (*domain.Device, error) {
	if !domain.ValidID(deviceID) {
		return nil, domain.NotFoundf("device not found")
	}
	d, err := devices.Get(ctx, p.ScopeFor(domain.PermRemoteAccess), deviceID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.NotFoundf("device not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load device: %w", err)
	}
	if d.Status == domain.DeviceDecommissioned {
		return nil, domain.NotFoundf("device not found")
	}
	if d.IsNetwork() { // a tracked network host: no agent for a terminal or files
		return nil, domain.NetworkDeviceError(d)
	}
	return d, nil
}
