package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
)

// ScriptParam declares a script parameter.
type ScriptParam struct {
	Name        string `json:"name"`
	Type        string `json:"type" enum:"string,number,boolean,secret"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Default     string `json:"default,omitempty"`
	PassAs      string `json:"passAs,omitempty" enum:"env,arg" doc:"env (default): the environment variable BREEZE_PARAM_<NAME>; arg: a positional argument in declaration order. Never spliced into a shell string."`
}

// Script is a library script: an org's own, or shared by a partner with its orgs.
type Script struct {
	ID             string        `json:"id"`
	PartnerID      string        `json:"partnerId"`
	OrgID          string        `json:"orgId,omitempty" doc:"Empty: shared by the partner with all its organizations."`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	Language       string        `json:"language" doc:"sh, bash, python3, pwsh, or a runtime plugin's language."`
	Body           string        `json:"body"`
	Params         []ScriptParam `json:"params"`
	TimeoutSeconds int           `json:"timeoutSeconds"`
	RunAs          string        `json:"runAs,omitempty"`
	OSFilter       []string      `json:"osFilter"`
	Version        int64         `json:"version"`
	CreatedBy      string        `json:"createdBy,omitempty"`
	CreatedAt      time.Time     `json:"createdAt"`
	UpdatedAt      time.Time     `json:"updatedAt"`
}

// ScriptRequest is the body of POST /scripts and PATCH /scripts/:id.
type ScriptRequest struct {
	PartnerID      string        `json:"partnerId,omitempty" doc:"Create only: share with every org of this partner."`
	OrgID          string        `json:"orgId,omitempty" doc:"Create only: this org's own script."`
	Name           string        `json:"name"`
	Description    string        `json:"description,omitempty"`
	Language       string        `json:"language"`
	Body           string        `json:"body"`
	Params         []ScriptParam `json:"params,omitempty"`
	TimeoutSeconds int           `json:"timeoutSeconds,omitempty" doc:"Default 300."`
	RunAs          string        `json:"runAs,omitempty"`
	OSFilter       []string      `json:"osFilter,omitempty"`
	Version        int64         `json:"version,omitempty" doc:"PATCH only: the version you read (409 when stale)."`
}

// ScriptVersion is a kept version of a script.
type ScriptVersion struct {
	Version        int64         `json:"version"`
	Language       string        `json:"language"`
	Body           string        `json:"body"`
	Params         []ScriptParam `json:"params"`
	TimeoutSeconds int           `json:"timeoutSeconds"`
	RunAs          string        `json:"runAs,omitempty"`
	OSFilter       []string      `json:"osFilter"`
	CreatedBy      string        `json:"createdBy,omitempty"`
	CreatedAt      time.Time     `json:"createdAt"`
}

// RunScriptRequest is the body of POST /scripts/:id/runs: one target.
type RunScriptRequest struct {
	DeviceIDs     []string       `json:"deviceIds,omitempty"`
	DeviceGroupID string         `json:"deviceGroupId,omitempty"`
	SiteID        string         `json:"siteId,omitempty"`
	OrgID         string         `json:"orgId,omitempty"`
	Params        map[string]any `json:"params,omitempty" doc:"Values by parameter name: strings, numbers or booleans."`
}

// ScriptRun is a run of a script with its progress.
type ScriptRun struct {
	ID            string            `json:"id"`
	ScriptID      string            `json:"scriptId"`
	ScriptVersion int64             `json:"scriptVersion"`
	PartnerID     string            `json:"partnerId"`
	OrgID         string            `json:"orgId"`
	TargetKind    string            `json:"targetKind" enum:"devices,group,site,org"`
	TargetID      string            `json:"targetId,omitempty"`
	DeviceIDs     []string          `json:"deviceIds"`
	Params        map[string]string `json:"params" doc:"Secrets show as ********."`
	RequestedBy   string            `json:"requestedBy,omitempty"`
	CreatedAt     time.Time         `json:"createdAt"`
	Total         int               `json:"total"`
	Counts        map[string]int    `json:"counts" doc:"Commands by status."`
}

func paramsIn(ps []ScriptParam) []domain.ScriptParam {
	out := make([]domain.ScriptParam, len(ps))
	for i, p := range ps {
		out[i] = domain.ScriptParam{Name: p.Name, Type: domain.ScriptParamType(p.Type), Description: p.Description,
			Required: p.Required, Default: p.Default, PassAs: p.PassAs}
	}
	return out
}

func paramsOut(ps []domain.ScriptParam) []ScriptParam {
	out := make([]ScriptParam, len(ps))
	for i, p := range ps {
		out[i] = ScriptParam{Name: p.Name, Type: string(p.Type), Description: p.Description,
			Required: p.Required, Default: p.Default, PassAs: p.PassAs}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scriptOut(s *domain.Script) Script {
	return Script{
		ID: s.ID, PartnerID: s.PartnerID, OrgID: s.OrgID, Name: s.Name, Description: s.Description,
		Language: s.Language, Body: s.Body, Params: paramsOut(s.Params), TimeoutSeconds: s.TimeoutSeconds,
		RunAs: s.RunAs, OSFilter: nonNil(s.OSFilter), Version: s.Version, CreatedBy: s.CreatedBy,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}

func scriptVersionOut(v *domain.ScriptVersion) ScriptVersion {
	return ScriptVersion{Version: v.Version, Language: v.Language, Body: v.Body, Params: paramsOut(v.Params),
		TimeoutSeconds: v.TimeoutSeconds, RunAs: v.RunAs, OSFilter: nonNil(v.OSFilter), CreatedBy: v.CreatedBy,
		CreatedAt: v.CreatedAt.UTC()}
}

func runOut(r *domain.ScriptRun, counts domain.RunCounts) ScriptRun {
	c := map[string]int{}
	for k, v := range counts {
		c[string(k)] = v
	}
	params := r.Params
	if params == nil {
		params = map[string]string{}
	}
	return ScriptRun{ID: r.ID, ScriptID: r.ScriptID, ScriptVersion: r.ScriptVersion, PartnerID: r.PartnerID,
		OrgID: r.OrgID, TargetKind: string(r.TargetKind), TargetID: r.TargetID, DeviceIDs: nonNil(r.DeviceIDs),
		Params: params, RequestedBy: r.RequestedBy, CreatedAt: r.CreatedAt.UTC(), Total: len(r.DeviceIDs), Counts: c}
}

func runViewOut(v *scripts.RunView) ScriptRun { return runOut(v.Run, v.Counts) }
