package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	qState    = "state"
	qSeverity = "severity"
	qDeviceID = "deviceId"
	qRuleID   = "ruleId"
	qKind     = "kind"
)

func (h *handlers) alertRoutes(r *registrar) {
	const tag = "Alerts"
	a := h.d.Alerts
	read, act := httpapi.User(domain.PermAlertsRead), httpapi.User(domain.PermAlertsAck)
	manage := httpapi.User(domain.PermAlertsWrite)
	r.add(http.MethodGet, "/alert-rules", read, "alert-rules.list", alerts.ResourceRule, httpapi.Doc{
		Summary: "List alert rules", Tag: tag, Response: AlertRule{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's rules and its partner's partner-wide ones"),
			httpapi.Param{Name: qKind, Description: "Only rules of this condition kind."}),
	}, listOf(ruleFilter, a.ListRules, ruleOut, qOrgID, qKind))
	r.add(http.MethodPost, "/alert-rules", manage, "alert-rules.create", alerts.ResourceRule, httpapi.Doc{
		Summary: "Create an alert rule", Tag: tag, Request: AlertRuleRequest{}, Response: AlertRule{}, Status: http.StatusCreated,
	}, createOne("/alert-rules", h.createRule, ruleOut))
	h.alertTemplateRoutes(r)
	r.add(http.MethodGet, "/alert-rules/:id", read, "alert-rules.get", alerts.ResourceRule, httpapi.Doc{
		Summary: "Get an alert rule", Tag: tag, Response: AlertRule{},
	}, getOne(a.GetRule, ruleOut))
	r.add(http.MethodPatch, "/alert-rules/:id", manage, "alert-rules.update", alerts.ResourceRule, httpapi.Doc{
		Summary: "Replace an alert rule's settings", Tag: tag, Request: AlertRuleRequest{}, Response: AlertRule{},
	}, updateOne(h.updateRule, ruleOut))
	r.add(http.MethodDelete, "/alert-rules/:id", manage, "alert-rules.delete", alerts.ResourceRule, httpapi.Doc{
		Summary: "Delete an alert rule and its alerts", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(a.DeleteRule))
	r.add(http.MethodGet, "/alerts", read, "alerts.list", alerts.ResourceAlert, httpapi.Doc{
		Summary: "List alerts of devices you may read", Tag: tag, Response: Alert{}, List: true,
		Query: listParams(httpapi.Param{Name: qState, Description: "open, acknowledged, resolved, or unresolved (open or acknowledged)."},
			httpapi.Param{Name: qSeverity, Description: "info, warning or critical."},
			idParam(qDeviceID, "this device's alerts"), idParam(qRuleID, "this rule's alerts"), idParam(qOrgID, "this org's alerts"),
			idParam(qSiteID, "this site's alerts"),
			httpapi.Param{Name: qFrom, Format: "date-time", Description: "Alerts opened at or after this RFC 3339 time."},
			httpapi.Param{Name: qTo, Format: "date-time", Description: "Alerts opened before this RFC 3339 time."}),
	}, listOf(alertFilter, a.ListAlerts, alertOut, qState, qSeverity, qDeviceID, qRuleID, qOrgID, qSiteID, qFrom, qTo))
	r.add(http.MethodGet, "/alerts/:id", read, "alerts.get", alerts.ResourceAlert, httpapi.Doc{
		Summary: "Get an alert with its history", Tag: tag, Response: Alert{},
	}, getOne(a.GetAlert, alertDetailOut))
	r.add(http.MethodPost, "/alerts/:id/acknowledge", act, "alerts.acknowledge", alerts.ResourceAlert, httpapi.Doc{
		Summary: "Acknowledge an open alert", Tag: tag, Response: Alert{},
	}, refuseQuery(getOne(a.Acknowledge, alertDetailOut)))
	r.add(http.MethodPost, "/alerts/:id/resolve", act, "alerts.resolve", alerts.ResourceAlert, httpapi.Doc{
		Summary: "Resolve an alert by hand, with a note", Tag: tag, Request: ResolveAlertRequest{}, Response: Alert{},
	}, updateOne(h.resolveAlert, alertDetailOut))
	r.add(http.MethodPost, "/alerts/:id/snooze", act, "alerts.snooze", alerts.ResourceAlert, httpapi.Doc{
		Summary: "Snooze an alert: hold its notifications until a time (at most 30 days ahead)", Tag: tag,
		Request: SnoozeAlertRequest{}, Response: Alert{},
	}, updateOne(h.snoozeAlert, alertDetailOut))
	r.add(http.MethodDelete, "/alerts/:id/snooze", act, "alerts.unsnooze", alerts.ResourceAlert, httpapi.Doc{
		Summary: "End an alert's snooze", Tag: tag, Response: Alert{},
	}, refuseQuery(getOne(a.Unsnooze, alertDetailOut)))
}

func (h *handlers) snoozeAlert(ctx context.Context, p *domain.Principal, id string, in SnoozeAlertRequest) (*alerts.Alert, error) {
	if in.Until.IsZero() {
		return nil, domain.Invalidf("until is required (RFC 3339)")
	}
	return h.d.Alerts.Snooze(ctx, p, id, in.Until, in.Note)
}

func ruleFilter(q listQuery) (f ports.AlertRuleFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	f.Kind, err = q.text(qKind)
	return f, err
}

func alertFilter(q listQuery) (f ports.AlertFilter, err error) {
	switch st := domain.AlertState(q.v.Get(qState)); st {
	case "", domain.AlertOpen, domain.AlertAcknowledged, domain.AlertResolved, ports.UnresolvedFilter:
		f.State = st
	default:
		return f, domain.Invalidf("state must be open, acknowledged, resolved or unresolved (open or acknowledged)")
	}
	if sev := domain.Severity(q.v.Get(qSeverity)); sev != "" && !domain.ValidSeverity(sev) {
		return f, domain.Invalidf("severity must be info, warning or critical")
	} else {
		f.Severity = sev
	}
	if f.DeviceID, err = q.id(qDeviceID); err != nil {
		return f, err
	}
	if f.RuleID, err = q.id(qRuleID); err != nil {
		return f, err
	}
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return f, err
	}
	if f.From, err = q.time(qFrom); err != nil {
		return f, err
	}
	if f.To, err = q.time(qTo); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, domain.Invalidf("to must be after from")
	}
	return f, nil
}

func (h *handlers) createRule(ctx context.Context, p *domain.Principal, in AlertRuleRequest) (*domain.AlertRule, error) {
	if in.Version != 0 {
		return nil, domain.Invalidf("version is for PATCH")
	}
	r := ruleIn(in)
	return r, h.d.Alerts.CreateRule(ctx, p, r)
}

func (h *handlers) updateRule(ctx context.Context, p *domain.Principal, id string, in AlertRuleRequest) (*domain.AlertRule, error) {
	if in.PartnerID != "" || in.OrgID != "" {
		return nil, domain.Invalidf("a rule's owner never changes (partnerId and orgId are for POST)")
	}
	if err := requireVersion(in.Version); err != nil {
		return nil, err
	}
	r := ruleIn(in)
	r.ID = id
	return h.d.Alerts.UpdateRule(ctx, p, r)
}

func (h *handlers) resolveAlert(ctx context.Context, p *domain.Principal, id string, in ResolveAlertRequest) (*alerts.Alert, error) {
	return h.d.Alerts.Resolve(ctx, p, id, in.Note)
}
