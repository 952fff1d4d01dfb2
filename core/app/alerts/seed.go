package alerts

import (
	"context"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// SeedOrg gives orgID the default rules (Templates) as its own enabled
// rules over the org, once: the claim and the rules are one transaction,
// so whichever node or call claims first writes them and every later
// call writes nothing, even after an admin deleted some. A default whose
// name the org already uses is skipped. It reports whether it seeded.
func (s *Service) SeedOrg(ctx context.Context, orgID string) (bool, error) {
	seeded, err := s.seedOrg(ctx, orgID)
	if seeded {
		s.reloadQuietly(ctx)
	}
	return seeded, err
}

func (s *Service) seedOrg(ctx context.Context, orgID string) (bool, error) {
	seeded := false
	err := s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		ok, err := tx.AlertDefaults().Claim(ctx, orgID, s.d.Clock.Now())
		if err != nil || !ok {
			return err
		}
		taken := map[string]bool{}
		page := domain.PageRequest{Limit: domain.MaxPageSize}
		for {
			p, err := tx.AlertRules().List(ctx, domain.GlobalScope(), ports.AlertRuleFilter{OrgID: orgID}, page)
			if err != nil {
				return err
			}
			for _, r := range p.Items {
				if r.OrgID == orgID {
					taken[strings.ToLower(r.Name)] = true
				}
			}
			if p.NextCursor == "" {
				break
			}
			page.Cursor = p.NextCursor
		}
		for _, t := range Templates {
			if taken[strings.ToLower(t.Name)] {
				continue
			}
			if err := tx.AlertRules().Create(ctx, domain.GlobalScope(), t.rule(orgID)); err != nil {
				return fmt.Errorf("default rule %q: %w", t.Name, err)
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed default alert rules of org %s: %w", orgID, err)
	}
	return seeded, nil
}

// OrgCreated seeds a new org (tenancy.Deps.Seeder). A failure is logged,
// not returned: the org exists, and SeedExisting gives it the defaults at
// the next start.
func (s *Service) OrgCreated(ctx context.Context, o *domain.Organization) {
	if _, err := s.SeedOrg(ctx, o.ID); err != nil {
		s.d.Logger.Warn("default alert rules not created; the next start retries", "org_id", o.ID, "error", err)
	}
}

// SeedExisting gives every org never seeded the defaults (at start: the
// orgs made before the defaults existed, and any whose seeding failed).
// It returns how many it seeded.
func (s *Service) SeedExisting(ctx context.Context) (n int, err error) {
	defer func() {
		if n > 0 {
			s.reloadQuietly(ctx)
		}
	}()
	failed := map[string]bool{}
	for {
		ids, err := s.d.Store.AlertDefaults().Unclaimed(ctx, domain.MaxPageSize)
		if err != nil {
			return n, fmt.Errorf("list orgs without default alert rules: %w", err)
		}
		progress := false
		for _, id := range ids {
			if failed[id] {
				continue
			}
			ok, err := s.seedOrg(ctx, id)
			if err != nil {
				failed[id] = true
				s.d.Logger.Warn("default alert rules not created", "org_id", id, "error", err)
				continue
			}
			progress = true
			if ok {
				n++
			}
		}
		if !progress || len(ids) < domain.MaxPageSize {
			return n, nil
		}
	}
}
