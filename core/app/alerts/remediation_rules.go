package alerts

import (
	"context"
	"encoding/json"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
)

// runPermissions are what running spec on a device needs: script code
// needs devices:execute and scripts:read over the device
// (commands.MayRunScript); an action needs devices:execute and its own
// permission.
func runPermissions(spec *domain.AlertRemediationSpec) ([]domain.Permission, error) {
	switch spec.Kind {
	case domain.RemediationScript:
		return []domain.Permission{domain.PermDevicesExecute, domain.PermScriptsRead}, nil
	case domain.RemediationAction:
		a, ok := actions.Lookup(spec.Action)
		if !ok {
			return nil, domain.Invalidf("remediation: unknown action %q", domain.Abbrev(spec.Action, 64))
		}
		return []domain.Permission{domain.PermDevicesExecute, a.Permission}, nil
	}
	return nil, domain.Invalidf(`remediation kind must be "script" or "action"`)
}

// validateRemediation checks a rule's remediation when it is saved: its
// shape, the script (visible to the caller, else 404, and available to the
// rule's owner) and its parameter values, or the action and its payload,
// and that the caller holds the run permission over every unit of the
// rule's scope (else 403). The caller becomes the remediation's author.
func (s *Service) validateRemediation(ctx context.Context, p *domain.Principal, r *domain.AlertRule) error {
	spec := r.Remediation
	if spec == nil {
		r.RemediationEveryHours, r.RemediationBy = 0, ""
		return nil
	}
	if r.RemediationEveryHours < 0 || r.RemediationEveryHours > MaxRemediationEveryHours {
		return domain.Invalidf("remediationEveryHours must be within 0..%d", MaxRemediationEveryHours)
	}
	if raw, err := json.Marshal(spec); err != nil || len(raw) > maxRemediationBytes {
		return domain.Invalidf("remediation larger than %d bytes", maxRemediationBytes)
	}
	perms, err := runPermissions(spec)
	if err != nil {
		return err
	}
	partnerID := r.PartnerID // empty on create of an org's rule: its org's
	if r.OrgID != "" {
		o, err := s.d.Store.Orgs().Get(ctx, domain.GlobalScope(), r.OrgID)
		if err != nil {
			return err
		}
		partnerID = o.PartnerID
	}
	switch spec.Kind {
	case domain.RemediationScript:
		if spec.Action != "" || len(spec.Payload) > 0 {
			return domain.Invalidf("a script remediation names scriptId and params, not action or payload")
		}
		if err := s.checkRemediationScript(ctx, p, partnerID, r); err != nil {
			return err
		}
	case domain.RemediationAction:
		if spec.ScriptID != "" || len(spec.Params) > 0 {
			return domain.Invalidf("an action remediation names action and payload, not scriptId or params")
		}
		a, _ := actions.Lookup(spec.Action)
		if a.RunsScriptCode {
			return domain.Invalidf("remediation: action %s runs ad hoc code; use a library script (kind \"script\")", a.Name)
		}
		if len(spec.Payload) == 0 {
			spec.Payload = json.RawMessage("null")
		}
		if err := a.Check(spec.Payload); err != nil {
			return err
		}
	}
	units, err := s.scopeUnits(ctx, partnerID, r)
	if err != nil {
		return err
	}
	for _, u := range units {
		if !p.HoldsAt(u, perms...) {
			return domain.Forbiddenf("the remediation runs on the rule's devices: you need %s over the whole scope of the rule",
				permList(perms))
		}
	}
	r.RemediationBy = p.UserID
	return nil
}

// checkRemediationScript: the script is one the caller may read (else
// 404), offered to the rule's owner, and the values bind to its parameters.
// Secret values are refused: a rule is stored and shown in clear.
func (s *Service) checkRemediationScript(ctx context.Context, p *domain.Principal, partnerID string, r *domain.AlertRule) error {
	spec := r.Remediation
	if !domain.ValidID(spec.ScriptID) {
		return domain.NotFoundf("script not found")
	}
	sc, err := s.d.Store.Scripts().Get(ctx, p.ScopeFor(domain.PermScriptsRead), spec.ScriptID)
	if err != nil {
		return err
	}
	if sc.PartnerID != partnerID {
		return domain.NotFoundf("script not found")
	}
	if sc.OrgID != "" && sc.OrgID != r.OrgID {
		return domain.Invalidf("script %q belongs to another organization than the rule", sc.Name)
	}
	for _, prm := range sc.Params {
		if _, given := spec.Params[prm.Name]; given && prm.Type == domain.ParamSecret {
			return domain.Invalidf("remediation: parameter %s is a secret; a rule cannot keep secret values", prm.Name)
		}
	}
	return scripts.CheckParams(sc, spec.Params)
}

// scopeUnits are the tenancy units a rule's scope covers (ValidateScope
// has checked the ids).
func (s *Service) scopeUnits(ctx context.Context, partnerID string, r *domain.AlertRule) ([]domain.Unit, error) {
	all := domain.GlobalScope()
	var out []domain.Unit
	switch r.ScopeKind {
	case domain.AlertScopePartner:
		return []domain.Unit{{PartnerID: partnerID}}, nil
	case domain.AlertScopeOrg:
		for _, id := range r.ScopeIDs {
			out = append(out, domain.Unit{PartnerID: partnerID, OrgID: id})
		}
	case domain.AlertScopeSite:
		for _, id := range r.ScopeIDs {
			x, err := s.d.Store.Sites().Get(ctx, all, id)
			if err != nil {
				return nil, err
			}
			out = append(out, domain.Unit{PartnerID: x.PartnerID, OrgID: x.OrgID, SiteID: x.ID})
		}
	case domain.AlertScopeGroup:
		for _, id := range r.ScopeIDs {
			x, err := s.d.Store.DeviceGroups().Get(ctx, all, id)
			if err != nil {
				return nil, err
			}
			out = append(out, domain.Unit{PartnerID: x.PartnerID, OrgID: x.OrgID, SiteID: x.SiteID})
		}
	case domain.AlertScopeDevices:
		for _, id := range r.ScopeIDs {
			x, err := s.d.Store.Devices().Get(ctx, all, id)
			if err != nil {
				return nil, err
			}
			out = append(out, domain.Unit{PartnerID: x.PartnerID, OrgID: x.OrgID, SiteID: x.SiteID})
		}
	}
	return out, nil
}
