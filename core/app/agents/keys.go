package agents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
)

// KeyPrefix starts every enrollment key.
const KeyPrefix = "bek_"

// maxKeyLen bounds a presented enrollment key (a real one is 47 bytes).
const maxKeyLen = 128

// NewKey is the input of MintKey: the site (required), an optional org to
// cross-check, an optional group, a name, an expiry (default 7 days) and a
// use limit (0: DefaultKeyUses). Unlimited asks for no use limit at all; it
// must be said explicitly, since a leaked key without a limit enrolls (and
// so hands out agent tokens to) as many devices as its holder wants.
type NewKey struct {
	OrgID, SiteID, GroupID string
	Name                   string
	ExpiresAt              time.Time
	MaxUses                int
	Unlimited              bool
}

// MintKey creates an enrollment key and returns it with its secret, shown
// once; only the secret's SHA-256 is stored. The principal needs
// enrollment-keys:write over the site (otherwise the site is not found).
func (s *Service) MintKey(ctx context.Context, p *domain.Principal, in NewKey) (*domain.EnrollmentKey, string, error) {
	scope := p.ScopeFor(domain.PermEnrollWrite)
	if in.SiteID == "" {
		return nil, "", domain.Invalidf("siteId is required")
	}
	site, err := s.d.Store.Sites().Get(ctx, scope, in.SiteID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, "", domain.NotFoundf("site not found")
	}
	if err != nil {
		return nil, "", fmt.Errorf("load site: %w", err)
	}
	if in.OrgID != "" && in.OrgID != site.OrgID {
		return nil, "", domain.Invalidf("the site does not belong to that organization")
	}
	now := s.d.Clock.Now()
	if in.Name == "" {
		in.Name = "Enrollment key for " + site.Name
		if len([]rune(in.Name)) > 200 {
			in.Name = string([]rune(in.Name)[:200])
		}
	}
	if err := domain.ValidateName("enrollment key", in.Name); err != nil {
		return nil, "", err
	}
	switch {
	case in.ExpiresAt.IsZero():
		in.ExpiresAt = now.Add(DefaultKeyTTL)
	case !in.ExpiresAt.After(now):
		return nil, "", domain.Invalidf("expiresAt must be in the future")
	case in.ExpiresAt.Sub(now) > MaxKeyTTL:
		return nil, "", domain.Invalidf("expiresAt must be within %d days", int(MaxKeyTTL/(24*time.Hour)))
	}
	switch {
	case in.MaxUses < 0 || in.MaxUses > MaxKeyUses:
		return nil, "", domain.Invalidf("maxUses must be from 0 (unlimited) to %d", MaxKeyUses)
	case in.Unlimited && in.MaxUses != 0:
		return nil, "", domain.Invalidf("an unlimited key takes no maxUses")
	case in.MaxUses == 0 && !in.Unlimited:
		in.MaxUses = DefaultKeyUses
	}
	secret := auth.NewSecret(KeyPrefix)
	k := &domain.EnrollmentKey{
		PartnerID: site.PartnerID, OrgID: site.OrgID, SiteID: site.ID, GroupID: in.GroupID,
		Name: in.Name, Prefix: secret[:12], KeyHash: auth.HashSecret(secret),
		ExpiresAt: in.ExpiresAt.UTC(), MaxUses: in.MaxUses, CreatedBy: p.UserID, CreatedAt: now.UTC(),
	}
	if err := s.d.Store.EnrollmentKeys().Create(ctx, scope, k); err != nil {
		return nil, "", fmt.Errorf("store enrollment key: %w", err)
	}
	audit.SetResource(ctx, "enrollment_key", k.ID, k.PartnerID, k.OrgID)
	return k, secret, nil
}

// ListKeys lists the enrollment keys in the caller's enrollment-keys:write
// scope: a key list is a map of where devices can be planted, so reading
// it needs the write permission.
func (s *Service) ListKeys(ctx context.Context, p *domain.Principal, page domain.PageRequest) (domain.Page[*domain.EnrollmentKey], error) {
	return s.d.Store.EnrollmentKeys().List(ctx, p.ScopeFor(domain.PermEnrollWrite), page)
}

// GetKey reads an enrollment key in the caller's enrollment-keys:write scope.
func (s *Service) GetKey(ctx context.Context, p *domain.Principal, id string) (*domain.EnrollmentKey, error) {
	return s.d.Store.EnrollmentKeys().Get(ctx, p.ScopeFor(domain.PermEnrollWrite), id)
}

// RevokeKey revokes an enrollment key in the caller's scope (idempotent).
func (s *Service) RevokeKey(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermEnrollWrite)
	k, err := s.d.Store.EnrollmentKeys().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "enrollment_key", k.ID, k.PartnerID, k.OrgID)
	return s.d.Store.EnrollmentKeys().Revoke(ctx, scope, id, s.d.Clock.Now())
}

// wellFormedKey reports whether key could be an enrollment key at all.
func wellFormedKey(key string) bool {
	return strings.HasPrefix(key, KeyPrefix) && len(key) <= maxKeyLen && !strings.ContainsAny(key, " \t\r\n")
}
