package scripts

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Create adds a script to an org's library (OrgID set) or to a partner's
// shared library (OrgID empty, PartnerID set), within scripts:write.
func (s *Service) Create(ctx context.Context, p *domain.Principal, sc *domain.Script) error {
	if err := s.validate(sc); err != nil {
		return err
	}
	if sc.OrgID == "" && sc.PartnerID == "" {
		return domain.Invalidf("a script belongs to an org (orgId) or is shared by a partner (partnerId)")
	}
	sc.CreatedBy = p.UserID
	if err := s.d.Store.Scripts().Create(ctx, p.ScopeFor(domain.PermScriptsWrite), sc); err != nil {
		return err
	}
	audit.SetResource(ctx, "script", sc.ID, sc.PartnerID, sc.OrgID)
	return nil
}

// Get returns a script the caller may read.
func (s *Service) Get(ctx context.Context, p *domain.Principal, id string) (*domain.Script, error) {
	return s.d.Store.Scripts().Get(ctx, p.ScopeFor(domain.PermScriptsRead), id)
}

// List lists the scripts the caller may read.
func (s *Service) List(ctx context.Context, p *domain.Principal, f ports.ScriptFilter, page domain.PageRequest) (domain.Page[*domain.Script], error) {
	return s.d.Store.Scripts().List(ctx, p.ScopeFor(domain.PermScriptsRead), f, page)
}

// Update changes a script (a new version is kept).
func (s *Service) Update(ctx context.Context, p *domain.Principal, sc *domain.Script) (*domain.Script, error) {
	if err := s.validate(sc); err != nil {
		return nil, err
	}
	out, err := s.d.Store.Scripts().Update(ctx, p.ScopeFor(domain.PermScriptsWrite), sc)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "script", out.ID, out.PartnerID, out.OrgID)
	return out, nil
}

// Delete removes a script (its runs and their commands stay as history).
func (s *Service) Delete(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermScriptsWrite)
	sc, err := s.d.Store.Scripts().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "script", sc.ID, sc.PartnerID, sc.OrgID)
	return s.d.Store.Scripts().Delete(ctx, scope, id)
}

// Versions lists a script's kept versions, newest first.
func (s *Service) Versions(ctx context.Context, p *domain.Principal, id string) ([]*domain.ScriptVersion, error) {
	return s.d.Store.Scripts().Versions(ctx, p.ScopeFor(domain.PermScriptsRead), id)
}
