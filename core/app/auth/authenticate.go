package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// touchEvery throttles API-key last-used writes to one per key per minute.
const touchEvery = time.Minute

// Authenticate turns a bearer credential into the request's principal: an
// access token (JWT) of a live session of an active user, or an API key.
// Every failure is domain.ErrUnauthenticated, with no detail for the client.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*domain.Principal, error) {
	if bearer == "" {
		return nil, domain.Unauthenticatedf("missing credentials")
	}
	if strings.HasPrefix(bearer, APIKeyPrefix) {
		return s.authenticateKey(ctx, bearer)
	}
	claims, err := s.d.Tokens.Verify(ctx, bearer)
	if err != nil {
		return nil, err
	}
	now := s.d.Clock.Now()
	key := sessionKey(claims.SessionID)
	if p, ok := s.d.Principals.get(key, now); ok && p.UserID == claims.UserID {
		return p, nil
	}
	gen := s.d.Principals.generation()
	live, err := s.d.Store.RefreshTokens().FamilyActive(ctx, claims.SessionID, now)
	if err != nil {
		return nil, fmt.Errorf("check session: %w", err)
	}
	if !live {
		return nil, domain.Unauthenticatedf("session ended")
	}
	p, u, err := s.principalOf(ctx, claims.UserID)
	if err != nil {
		return nil, err
	}
	p.Kind, p.SessionID = domain.PrincipalUser, claims.SessionID
	if !u.TOTPEnabled() {
		if p.MustEnrollTOTP, err = s.mustEnrollTOTP(ctx, u); err != nil {
			return nil, err
		}
	}
	s.d.Principals.put(key, p, gen, now, time.Time{})
	return p, nil
}

// principalOf loads an active user and their grants.
func (s *Service) principalOf(ctx context.Context, userID string) (*domain.Principal, *domain.User, error) {
	u, err := s.d.Store.Users().GetByID(ctx, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, domain.Unauthenticatedf("unknown user")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	if u.Status != domain.UserActive {
		return nil, nil, domain.Unauthenticatedf("user disabled")
	}
	grants, err := s.d.Store.RoleAssignments().GrantsOf(ctx, u.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("load grants: %w", err)
	}
	return &domain.Principal{UserID: u.ID, PartnerID: u.PartnerID, Email: u.Email, Grants: grants}, u, nil
}

// authenticateKey: the key acts for its owner, narrowed to its unit and its
// permissions, and never beyond what the owner holds right now.
func (s *Service) authenticateKey(ctx context.Context, secret string) (*domain.Principal, error) {
	hash := HashSecret(secret)
	now := s.d.Clock.Now()
	if p, ok := s.d.Principals.get(keyKey(hash), now); ok {
		return p, nil
	}
	gen := s.d.Principals.generation()
	k, err := s.d.Store.APIKeys().GetByHash(ctx, hash)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Unauthenticatedf("unknown API key")
	}
	if err != nil {
		return nil, fmt.Errorf("load API key: %w", err)
	}
	if !k.Usable(now) {
		return nil, domain.Unauthenticatedf("API key revoked or expired")
	}
	owner, u, err := s.principalOf(ctx, k.UserID)
	if err != nil {
		return nil, err
	}
	// A partner that requires a second factor refuses the keys of a user
	// who has none, as it refuses their sessions: a key must not be the way
	// around the policy. The edge answers 403 totp_enrollment_required.
	must, err := s.mustEnrollTOTP(ctx, u)
	if err != nil {
		return nil, err
	}
	unit := k.Unit()
	var perms []domain.Permission
	for _, perm := range k.Permissions {
		if owner.HoldsAt(unit, perm) {
			perms = append(perms, perm)
		}
	}
	if now.Sub(k.LastUsedAt) > touchEvery {
		_ = s.d.Store.APIKeys().Touch(ctx, k.ID, now) // best effort: never fail a request on it
	}
	p := &domain.Principal{
		MustEnrollTOTP: must,
		Kind:           domain.PrincipalAPIKey,
		UserID:         owner.UserID,
		APIKeyID:       k.ID,
		PartnerID:      owner.PartnerID,
		Email:          owner.Email,
		Grants: []domain.Grant{{
			Assignment:  domain.RoleAssignment{PartnerID: k.PartnerID, OrgID: k.OrgID, SiteID: k.SiteID},
			Permissions: perms,
		}},
	}
	s.d.Principals.put(keyKey(hash), p, gen, now, k.ExpiresAt)
	return p, nil
}
