package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// expireLimit bounds the unresolved alerts of one kind an expiry pass reads.
const expireLimit = 10 * domain.MaxPageSize

// expire resolves the standing alerts of event rules with an auto-resolve
// period (command_failed's autoResolveMinutes) once it has passed since
// they opened. Run by the sweep; the store's conditional transition makes
// a second node's pass a no-op.
func (s *Service) expire(ctx context.Context, now time.Time, rs *ruleSet) error {
	after := map[string]time.Duration{} // rule id → period
	kinds := map[string]bool{}
	for _, list := range rs.byPartner {
		for _, c := range list {
			if c.event != nil && c.event.ResolveAfter() > 0 {
				after[c.rule.ID] = c.event.ResolveAfter()
				kinds[c.rule.Kind] = true
			}
		}
	}
	for kind := range kinds {
		open, err := s.d.Store.Alerts().Unresolved(ctx, "", kind, expireLimit)
		if err != nil {
			return fmt.Errorf("list %s alerts: %w", kind, err)
		}
		for _, a := range open {
			d, ok := after[a.RuleID]
			if !ok || now.Sub(a.OpenedAt) < d {
				continue
			}
			if err := s.resolveNote(ctx, a.RuleID, a.DeviceID, now, fmt.Sprintf("resolved %s after it opened", d)); err != nil {
				s.d.Logger.Warn("alert not auto-resolved", "alert_id", a.ID, "error", err)
			}
		}
	}
	return nil
}
