package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
)

// AlertTemplate is a ready-made rule the editor starts from (every new
// organization gets them as its own rules).
type AlertTemplate struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Severity    string          `json:"severity"`
	Kind        string          `json:"kind"`
	Params      json.RawMessage `json:"params"`
}

// RuleCoverage answers POST /alert-rules/preview: the devices the rule
// would watch now, among those the caller may read.
type RuleCoverage struct {
	Count     int             `json:"count"`
	Truncated bool            `json:"truncated,omitempty" doc:"The count stopped at the scan bound: at least count."`
	Devices   []CoveredDevice `json:"devices" doc:"The first few covered devices."`
}

// CoveredDevice is one device a previewed rule covers.
type CoveredDevice struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	OrgID    string `json:"orgId"`
	SiteID   string `json:"siteId"`
	Status   string `json:"status"`
}

func (h *handlers) alertTemplateRoutes(r *registrar) {
	const tag = "Alerts"
	r.add(http.MethodGet, "/alert-templates", httpapi.User(domain.PermAlertsRead), "alert-templates.list", "alert_template", httpapi.Doc{
		Summary: "The ready-made alert rules (the defaults every new organization gets)", Tag: tag, Response: AlertTemplate{}, List: true,
	}, h.alertTemplates)
	r.add(http.MethodPost, "/alert-rules/preview", httpapi.User(domain.PermAlertsWrite), "alert-rules.preview", alerts.ResourceRule, httpapi.Doc{
		Summary: "Which devices a rule would cover now (validated like a new rule; nothing is stored)", Tag: tag,
		Request: AlertRuleRequest{}, Response: RuleCoverage{},
	}, h.previewRule)
}

func (h *handlers) alertTemplates(c *gin.Context) error {
	if err := noQuery(c); err != nil {
		return err
	}
	page := Page[AlertTemplate]{Items: make([]AlertTemplate, 0, len(alerts.Templates))}
	for _, t := range alerts.Templates {
		page.Items = append(page.Items, AlertTemplate{ID: t.ID, Name: t.Name, Description: t.Description,
			Severity: string(t.Severity), Kind: t.Kind, Params: t.Params})
	}
	c.JSON(http.StatusOK, page)
	return nil
}

func (h *handlers) previewRule(c *gin.Context) error {
	p, in, err := callerAndBody[AlertRuleRequest](c)
	if err != nil {
		return err
	}
	cov, err := h.preview(c.Request.Context(), p, in)
	if err != nil {
		return err
	}
	out := RuleCoverage{Count: cov.Count, Truncated: cov.Truncated, Devices: make([]CoveredDevice, 0, len(cov.Devices))}
	for _, d := range cov.Devices {
		out.Devices = append(out.Devices, CoveredDevice{ID: d.ID, Hostname: d.Hostname, OrgID: d.OrgID, SiteID: d.SiteID, Status: string(d.Status)})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h *handlers) preview(ctx context.Context, p *domain.Principal, in AlertRuleRequest) (*alerts.Coverage, error) {
	if in.Version != 0 {
		return nil, domain.Invalidf("version is for PATCH")
	}
	return h.d.Alerts.Preview(ctx, p, ruleIn(in))
}
