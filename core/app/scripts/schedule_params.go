package scripts

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// CheckRunParams reads a script within the caller's scripts:read scope and
// checks values against its parameters as a run would (a schedule checks
// them when saved; the run checks them again when it fires).
func (s *Service) CheckRunParams(ctx context.Context, p *domain.Principal, scriptID string, values map[string]any) (*domain.Script, error) {
	sc, err := s.d.Store.Scripts().Get(ctx, p.ScopeFor(domain.PermScriptsRead), scriptID)
	if err != nil {
		return nil, err
	}
	if _, _, err := bind(sc, values); err != nil {
		return nil, err
	}
	return sc, nil
}
