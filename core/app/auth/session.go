package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// open starts a new refresh family for u and mints its first access token.
func (s *Service) open(ctx context.Context, u *domain.User, c Client) (*Session, error) {
	now := s.d.Clock.Now()
	secret := NewSecret(RefreshPrefix)
	rt := &domain.RefreshToken{
		ID:        domain.NewID(),
		UserID:    u.ID,
		TokenHash: HashSecret(secret),
		ExpiresAt: now.Add(s.d.RefreshTTL),
		IP:        c.IP,
		UserAgent: c.UserAgent,
	}
	rt.FamilyID = rt.ID
	if err := s.d.Store.RefreshTokens().Create(ctx, rt); err != nil {
		return nil, fmt.Errorf("store refresh token: %w", err)
	}
	return s.mint(ctx, u, rt, secret)
}

func (s *Service) mint(ctx context.Context, u *domain.User, rt *domain.RefreshToken, secret string) (*Session, error) {
	tok, exp, err := s.d.Tokens.Issue(ctx, ports.AccessClaims{UserID: u.ID, SessionID: rt.FamilyID})
	if err != nil {
		return nil, fmt.Errorf("issue access token: %w", err)
	}
	must, err := s.mustEnrollTOTP(ctx, u)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: tok, RefreshToken: secret, ExpiresAt: exp, User: u, MustEnrollTOTP: must}, nil
}

// Refresh spends a refresh token and returns the next one with a new access
// token. A spent token presented again after the grace window is a replay:
// the whole family is revoked and the attempt audited as denied.
func (s *Service) Refresh(ctx context.Context, refreshToken string, c Client) (*Session, error) {
	audit.SetActor(ctx, "anonymous", "")
	now := s.d.Clock.Now()
	secret := NewSecret(RefreshPrefix)
	next := &domain.RefreshToken{
		ID:        domain.NewID(),
		TokenHash: HashSecret(secret),
		ExpiresAt: now.Add(s.d.RefreshTTL),
		IP:        c.IP,
		UserAgent: c.UserAgent,
	}
	spent, err := s.d.Store.RefreshTokens().Rotate(ctx, HashSecret(refreshToken), next, now)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"unknown_refresh_token"}`)
		return nil, domain.Unauthenticatedf("invalid refresh token")
	case errors.Is(err, domain.ErrConflict) && spent != nil:
		audit.SetActor(ctx, "user", spent.UserID)
		audit.SetResource(ctx, "session", spent.FamilyID, "", "")
		return nil, s.refused(ctx, spent, now)
	case err != nil:
		return nil, fmt.Errorf("rotate refresh token: %w", err)
	}
	audit.SetActor(ctx, "user", spent.UserID)
	audit.SetResource(ctx, "session", spent.FamilyID, "", "")

	u, err := s.d.Store.Users().GetByID(ctx, spent.UserID)
	if err != nil || u.Status != domain.UserActive {
		_, _ = s.d.Store.RefreshTokens().RevokeFamily(ctx, spent.FamilyID, now)
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"user_disabled_or_gone"}`)
		return nil, domain.Unauthenticatedf("invalid refresh token")
	}
	next.FamilyID, next.UserID = spent.FamilyID, spent.UserID
	sess, err := s.mint(ctx, u, next, secret)
	if err != nil {
		return nil, err
	}
	audit.SetOutcome(ctx, domain.OutcomeSuccess, "")
	return sess, nil
}

// refused explains why a stored token could not be rotated, revoking its
// family when the attempt is a replay.
func (s *Service) refused(ctx context.Context, t *domain.RefreshToken, now time.Time) error {
	switch {
	case !t.RevokedAt.IsZero():
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"revoked_refresh_token"}`)
	case !t.UsedAt.IsZero() && now.Sub(t.UsedAt) <= s.d.ReuseGrace:
		// Two refreshes raced (two tabs): the other one won; keep the family.
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"refresh_race"}`)
	case !t.UsedAt.IsZero():
		n, err := s.d.Store.RefreshTokens().RevokeFamily(ctx, t.FamilyID, now)
		s.sessionEnded(ctx, t.FamilyID)
		if err != nil {
			return fmt.Errorf("revoke replayed family: %w", err)
		}
		audit.SetOutcome(ctx, domain.OutcomeDenied, fmt.Sprintf(`{"reason":"refresh_token_reuse","revoked":%d}`, n))
	default:
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"expired_refresh_token"}`)
	}
	return domain.Unauthenticatedf("invalid refresh token")
}

// Logout revokes the principal's session (its refresh family).
func (s *Service) Logout(ctx context.Context, p *domain.Principal) error {
	if p.SessionID == "" {
		return domain.Invalidf("only a signed-in session can log out; API keys are revoked instead")
	}
	if _, err := s.d.Store.RefreshTokens().RevokeFamily(ctx, p.SessionID, s.d.Clock.Now()); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.sessionEnded(ctx, p.SessionID)
	audit.SetResource(ctx, "session", p.SessionID, p.PartnerID, "")
	return nil
}

func (s *Service) mustEnrollTOTP(ctx context.Context, u *domain.User) (bool, error) {
	if u.TOTPEnabled() {
		return false, nil
	}
	p, err := s.d.Store.Partners().Get(ctx, domain.GlobalScope(), u.PartnerID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read partner: %w", err)
	}
	return p.RequireTOTP, nil
}

func (s *Service) sessionEnded(ctx context.Context, sessionID string) {
	if s.d.Revocations != nil {
		s.d.Revocations.SessionEnded(ctx, sessionID)
	}
}
