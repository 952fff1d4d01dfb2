package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// ChangePassword sets a signed-in user's own password after checking the
// current one (counted against the sign-in limits, so a stolen session
// cannot guess it quickly). Every refresh session of the user ends, this
// one too, and a fresh session is returned in its place: whoever else held
// one is out. The user's API keys stay: they are separate, individually
// revocable credentials, and disabling the user stops them.
func (s *Service) ChangePassword(ctx context.Context, p *domain.Principal, current, next string, c Client) (*Session, error) {
	if p.Kind != domain.PrincipalUser || p.SessionID == "" {
		return nil, domain.Forbiddenf("only a signed-in user changes their own password (API keys cannot)")
	}
	if err := s.throttle(ctx, "password", p.Email, c.IP); err != nil {
		return nil, err
	}
	u, err := s.d.Store.Users().GetByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	ok, _, err := s.d.Hasher.Verify(current, u.PasswordHash)
	if err != nil && !errors.Is(err, domain.ErrInvalid) {
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"wrong_current_password"}`)
		return nil, domain.Invalidf("the current password is wrong")
	}
	if err := domain.CheckPassword(next); err != nil {
		return nil, err
	}
	if next == current {
		return nil, domain.Invalidf("the new password is the current one")
	}
	if u.PasswordHash, err = s.d.Hasher.Hash(next); err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if u, err = s.d.Store.Users().Update(ctx, domain.GlobalScope(), u); err != nil {
		return nil, err
	}
	if _, err := s.d.Store.RefreshTokens().RevokeUser(ctx, u.ID, s.d.Clock.Now()); err != nil {
		return nil, fmt.Errorf("end sessions: %w", err)
	}
	if s.d.Revocations != nil {
		s.d.Revocations.UserEnded(ctx, u.ID)
	}
	s.forgive(ctx, p.Email, c.IP)
	return s.open(ctx, u, c)
}
