package plugincatalog

import (
	"context"
	"encoding/json"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// audited names the resource and fixes the outcome with small details.
func audited(ctx context.Context, resourceType, id string, o domain.AuditOutcome, details map[string]string) {
	audit.SetResource(ctx, resourceType, id, "", "")
	outcome(ctx, o, details)
}

// outcome fixes the outcome with small details.
func outcome(ctx context.Context, o domain.AuditOutcome, details map[string]string) {
	raw := ""
	if len(details) > 0 {
		b, _ := json.Marshal(details)
		raw = string(b)
	}
	audit.SetOutcome(ctx, o, raw)
}
