package auth

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
)

// PrincipalForSession rebuilds a signed-in user's principal for work that
// outlives one request (a terminal, the events WebSocket): the session (the
// refresh family) must still be live and the user active, and the grants
// are read afresh, so a logout, a disabled user or a removed grant shows at
// the next check. Every failure is domain.ErrUnauthenticated except store
// errors, which are wrapped as they are (the caller decides whether a
// database hiccup ends the work).
func (s *Service) PrincipalForSession(ctx context.Context, userID, sessionID string) (*domain.Principal, error) {
	if userID == "" || sessionID == "" {
		return nil, domain.Unauthenticatedf("no session")
	}
	live, err := s.d.Store.RefreshTokens().FamilyActive(ctx, sessionID, s.d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("check session: %w", err)
	}
	if !live {
		return nil, domain.Unauthenticatedf("session ended")
	}
	p, u, err := s.principalOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	p.Kind, p.SessionID = domain.PrincipalUser, sessionID
	if !u.TOTPEnabled() {
		if p.MustEnrollTOTP, err = s.mustEnrollTOTP(ctx, u); err != nil {
			return nil, err
		}
	}
	return p, nil
}
