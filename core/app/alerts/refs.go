package alerts

import (
	"context"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/domain"
)

// checkRefs refuses (400) a condition naming a plugin that is not
// installed: a rule on a metric, fact or plugin nobody can report would
// never fire. A rule being edited keeps the plugin it already names (a
// seeded default on a plugin uninstalled since stays editable).
func (s *Service) checkRefs(ctx context.Context, r *domain.AlertRule, cond conditions.Condition) error {
	ref, ok := cond.(conditions.PluginRef)
	if !ok || ref.PluginID() == "" {
		return nil
	}
	id := ref.PluginID()
	_, err := s.d.Store.Plugins().Get(ctx, id)
	if err == nil {
		return nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if r.ID != "" {
		if cur, err := s.d.Store.AlertRules().Get(ctx, domain.GlobalScope(), r.ID); err == nil {
			if old, _, err := conditions.Compile(cur.Kind, cur.Params); err == nil {
				if oref, ok := old.(conditions.PluginRef); ok && oref.PluginID() == id {
					return nil
				}
			}
		}
	}
	return domain.Invalidf("plugin %q is not installed", id)
}
