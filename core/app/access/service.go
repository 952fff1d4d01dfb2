// Package access manages who may do what: users, custom roles, role grants
// and API keys. Its one rule beyond scoping: no one grants, mints or edits
// anything holding more than they hold themselves.
package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Store is what the service needs from storage.
type Store interface {
	ports.IdentityStore
	Partners() ports.PartnerStore
	Orgs() ports.OrgStore
	Sites() ports.SiteStore
}

// Deps are the service's collaborators.
type Deps struct {
	Store  Store
	Hasher ports.PasswordHasher
	Clock  ports.Clock
	// Revocations hears about users whose sessions end (disabled, deleted,
	// password reset); nil: nobody listens.
	Revocations domain.Revocations
}

// Service implements the access use cases.
type Service struct {
	d Deps
}

// New checks deps.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Hasher == nil {
		return nil, domain.Invalidf("access: Store and Hasher are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	return &Service{d: d}, nil
}

// MinPasswordLen follows NIST 800-63B's advice of length over composition rules.
const MinPasswordLen = domain.MinPasswordLen

// CheckPassword applies the password policy (domain.CheckPassword).
func CheckPassword(pw string) error { return domain.CheckPassword(pw) }

// resolveUnit completes a unit from its most specific id (a site names its
// org and partner) and checks that the principal holds perm over it. A unit
// the principal cannot act on is ErrNotFound, like any out-of-scope id.
func (s *Service) resolveUnit(ctx context.Context, p *domain.Principal, u domain.Unit, perm domain.Permission) (domain.Unit, error) {
	all := domain.GlobalScope()
	claimed := u
	switch {
	case u.SiteID != "":
		site, err := s.d.Store.Sites().Get(ctx, all, u.SiteID)
		if err != nil {
			return u, notFoundAs(err, "site")
		}
		u = domain.Unit{PartnerID: site.PartnerID, OrgID: site.OrgID, SiteID: site.ID}
	case u.OrgID != "":
		org, err := s.d.Store.Orgs().Get(ctx, all, u.OrgID)
		if err != nil {
			return u, notFoundAs(err, "organization")
		}
		u = domain.Unit{PartnerID: org.PartnerID, OrgID: org.ID}
	case u.PartnerID == "":
		u.PartnerID = p.PartnerID
	}
	// Coverage first: comparing the claimed parents before it would tell a
	// caller that a foreign org exists ("does not belong") — an oracle.
	if !p.HoldsAt(u, perm) {
		return u, domain.NotFoundf("%s not found", unitName(u))
	}
	if (claimed.OrgID != "" && claimed.OrgID != u.OrgID) || (claimed.PartnerID != "" && claimed.PartnerID != u.PartnerID) {
		return u, domain.Invalidf("the %s does not belong to that %s", unitName(u), parentName(claimed))
	}
	return u, nil
}

func parentName(claimed domain.Unit) string {
	if claimed.OrgID != "" && claimed.SiteID != "" {
		return "organization"
	}
	return "partner"
}

func unitName(u domain.Unit) string {
	switch {
	case u.SiteID != "":
		return "site"
	case u.OrgID != "":
		return "organization"
	}
	return "partner"
}

func notFoundAs(err error, what string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.NotFoundf("%s not found", what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// outranks reports whether target holds something, somewhere, that p does
// not hold there: then p may not edit, disable or delete target.
func (s *Service) outranks(ctx context.Context, p *domain.Principal, targetID string) (bool, error) {
	grants, err := s.d.Store.RoleAssignments().GrantsOf(ctx, targetID)
	if err != nil {
		return false, fmt.Errorf("load grants: %w", err)
	}
	for _, g := range grants {
		a := g.Assignment
		if !p.HoldsAt(domain.Unit{PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID}, g.Permissions...) {
			return true, nil
		}
	}
	return false, nil
}
