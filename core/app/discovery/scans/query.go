package scans

import (
	"context"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Get returns a job with its commands within the caller's discovery:read scope.
func (s *Service) Get(ctx context.Context, p *domain.Principal, id string) (*domain.ScanJob, error) {
	return s.d.Store.DiscoveryScans().Get(ctx, p.ScopeFor(domain.PermDiscoveryRead), id)
}

// List returns jobs within the caller's discovery:read scope.
func (s *Service) List(ctx context.Context, p *domain.Principal, f ports.ScanFilter, page domain.PageRequest) (domain.Page[*domain.ScanJob], error) {
	if f.Status != "" && !domain.ValidScanStatus(f.Status) {
		return domain.Page[*domain.ScanJob]{}, domain.Invalidf("status must be queued, running, succeeded, failed, cancelled or timed_out")
	}
	return s.d.Store.DiscoveryScans().List(ctx, p.ScopeFor(domain.PermDiscoveryRead), f, page)
}

// Cancel stops a queued or running job (discovery:manage): its pending
// commands are cancelled (an agent running one is told to stop), the job
// ends cancelled and what its pages brought is kept (partial). A job
// already ended is ErrConflict.
func (s *Service) Cancel(ctx context.Context, p *domain.Principal, id string) (*domain.ScanJob, error) {
	j, err := s.d.Store.DiscoveryScans().Get(ctx, p.ScopeFor(domain.PermDiscoveryManage), id)
	if err != nil {
		return nil, err
	}
	reason := "cancelled by " + p.Email
	if p.Email == "" {
		reason = "cancelled"
	}
	out, ok, err := s.end(ctx, j, domain.ScanCancelled, reason)
	audit.SetResource(ctx, "discovery_scan", j.ID, j.PartnerID, j.OrgID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, domain.Conflictf("the scan already ended (%s)", out.Status)
	}
	return out, nil
}
