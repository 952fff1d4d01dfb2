// Package tenancy holds the use cases of the tenant hierarchy: partners,
// organizations, sites and device groups. Each read and write runs in the
// caller's scope for the resource's permission (so an id outside it is
// ErrNotFound), every edit carries the version it read, and every write
// names its resource in the request's audit note.
package tenancy

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Audit resource types of the hierarchy (the HTTP edge names its routes
// with the same ones).
const (
	ResourcePartner = "partner"
	ResourceOrg     = "organization"
	ResourceSite    = "site"
	ResourceGroup   = "device_group"
)

// Store is what the service needs from storage.
type Store interface {
	Partners() ports.PartnerStore
	Orgs() ports.OrgStore
	Sites() ports.SiteStore
	DeviceGroups() ports.DeviceGroupStore
}

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	// Seeder gives a new organization its starting configuration (the
	// default alert rules); nil: none.
	Seeder OrgSeeder
	// Revocations hears that what users may do changed (a partner's
	// second-factor rule, a unit of grants deleted), so no node keeps
	// principals built before; nil: nobody listens.
	Revocations domain.Revocations
	// PartnerRulesChanged is told after a partner's mutual-TLS switch was
	// changed here (the agent CA reads the switches again at once on this
	// node; other nodes within their refresh); nil: nobody.
	PartnerRulesChanged func()
}

// OrgSeeder hears each organization created. It reports nothing: the org
// exists whatever it does (alerts.Service seeds its default rules and
// retries a failure at the next start).
type OrgSeeder interface {
	OrgCreated(ctx context.Context, o *domain.Organization)
}

// accessChanged tells every node's principal cache after a change that may
// alter what anyone may do; such changes are rare, so all is forgotten.
func (s *Service) accessChanged(ctx context.Context, err error) error {
	if err == nil && s.d.Revocations != nil {
		s.d.Revocations.AccessChanged(ctx, "")
	}
	return err
}

// Service implements the tenancy use cases.
type Service struct {
	d Deps
}

// New checks deps.
func New(d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, domain.Invalidf("tenancy: Store is required")
	}
	return &Service{d: d}, nil
}

// kind is what the get, edit and delete use cases of one resource share:
// its permissions, its audit identity and its store's methods.
type kind[T any] struct {
	resource    string
	read, write domain.Permission
	// owner returns the row's id and the partner and org it belongs to.
	owner  func(T) (id, partnerID, orgID string)
	create func(ctx context.Context, s domain.Scope, v T) error
	get    func(ctx context.Context, s domain.Scope, id string) (T, error)
	update func(ctx context.Context, s domain.Scope, v T) (T, error)
	delete func(ctx context.Context, s domain.Scope, id string) error
}

// note names v in the request's audit row.
func (k kind[T]) note(ctx context.Context, v T) {
	id, partnerID, orgID := k.owner(v)
	audit.SetResource(ctx, k.resource, id, partnerID, orgID)
}

// add stores a new row in the caller's write scope and notes it.
func (k kind[T]) add(ctx context.Context, p *domain.Principal, v T) error {
	if err := k.create(ctx, p.ScopeFor(k.write), v); err != nil {
		return err
	}
	k.note(ctx, v)
	return nil
}

// fetch reads one row in the caller's read scope.
func (k kind[T]) fetch(ctx context.Context, p *domain.Principal, id string) (T, error) {
	return k.get(ctx, p.ScopeFor(k.read), id)
}

// edit reads the row in the caller's write scope, notes it (a refused edit
// is audited against its resource too), applies the patch and stores it
// if version is still the stored one.
func (k kind[T]) edit(ctx context.Context, p *domain.Principal, id string, version int64, apply func(T)) (T, error) {
	var zero T
	if err := domain.RequireVersion(version); err != nil {
		return zero, err
	}
	scope := p.ScopeFor(k.write)
	v, err := k.get(ctx, scope, id)
	if err != nil {
		return zero, err
	}
	k.note(ctx, v)
	apply(v)
	return k.update(ctx, scope, v)
}

// remove deletes the row in the caller's write scope, noting it first.
func (k kind[T]) remove(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(k.write)
	v, err := k.get(ctx, scope, id)
	if err != nil {
		return err
	}
	k.note(ctx, v)
	id, _, _ = k.owner(v)
	return k.delete(ctx, scope, id)
}
