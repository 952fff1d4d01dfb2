package plugins

import (
	"context"
	"encoding/json"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// auditResource names the plugin (and org) the request acts on.
func auditResource(ctx context.Context, pluginID, partnerID, orgID string) {
	audit.SetResource(ctx, "plugin", pluginID, partnerID, orgID)
}

// auditOutcome fixes the outcome with a small JSON details object.
func auditOutcome(ctx context.Context, o domain.AuditOutcome, details map[string]string) {
	raw := ""
	if len(details) > 0 {
		b, _ := json.Marshal(details)
		raw = string(b)
	}
	audit.SetOutcome(ctx, o, raw)
}

// refused audits a refusal (denied, with its reason) and returns err.
func refused(ctx context.Context, err error, version string) error {
	if r, ok := refusalOf(err); ok {
		d := map[string]string{"reason": r.Reason, "message": r.Err.Error()}
		if version != "" {
			d["version"] = version
		}
		auditOutcome(ctx, domain.OutcomeDenied, d)
	}
	return err
}
