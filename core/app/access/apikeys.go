package access

import (
	"context"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
)

// NewAPIKey is the input of MintKey. The unit defaults to the caller's partner.
type NewAPIKey struct {
	Name                     string
	PartnerID, OrgID, SiteID string
	Permissions              []domain.Permission
	ExpiresAt                time.Time
}

// MintKey creates an API key and returns it with its secret, shown once.
func (s *Service) MintKey(ctx context.Context, p *domain.Principal, in NewAPIKey) (*domain.APIKey, string, error) {
	unit, err := s.resolveUnit(ctx, p, domain.Unit{PartnerID: in.PartnerID, OrgID: in.OrgID, SiteID: in.SiteID}, domain.PermAPIKeysWrite)
	if err != nil {
		return nil, "", err
	}
	if err := domain.ValidateName("API key", in.Name); err != nil {
		return nil, "", err
	}
	perms, err := domain.ValidatePermissions(in.Permissions)
	if err != nil {
		return nil, "", err
	}
	if len(perms) == 0 {
		return nil, "", domain.Invalidf("an API key needs at least one permission")
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(s.d.Clock.Now()) {
		return nil, "", domain.Invalidf("expiresAt must be in the future")
	}
	if !p.HoldsAt(unit, perms...) {
		return nil, "", domain.Forbiddenf("an API key cannot hold permissions you do not hold")
	}
	secret := auth.NewSecret(auth.APIKeyPrefix)
	k := &domain.APIKey{
		UserID: p.UserID, PartnerID: unit.PartnerID, OrgID: unit.OrgID, SiteID: unit.SiteID,
		Name: in.Name, Prefix: secret[:12], SecretHash: auth.HashSecret(secret),
		Permissions: perms, ExpiresAt: in.ExpiresAt.UTC(),
	}
	if err := s.d.Store.APIKeys().Create(ctx, p.ScopeFor(domain.PermAPIKeysWrite), k); err != nil {
		return nil, "", fmt.Errorf("store API key: %w", err)
	}
	audit.SetResource(ctx, "api_key", k.ID, k.PartnerID, k.OrgID)
	return k, secret, nil
}

// RevokeKey revokes an API key in the caller's scope.
func (s *Service) RevokeKey(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermAPIKeysWrite)
	k, err := s.d.Store.APIKeys().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "api_key", k.ID, k.PartnerID, k.OrgID)
	if err := s.d.Store.APIKeys().Revoke(ctx, scope, id, s.d.Clock.Now()); err != nil {
		return err
	}
	s.accessChanged(ctx, k.UserID)
	return nil
}
