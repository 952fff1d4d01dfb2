package domain

import "time"

// ScriptParamType is the type of a script parameter.
type ScriptParamType string

const (
	ParamString  ScriptParamType = "string"
	ParamNumber  ScriptParamType = "number"
	ParamBoolean ScriptParamType = "boolean"
	ParamSecret  ScriptParamType = "secret" // a string never shown back nor kept once the command ends
)

// ScriptParam declares one parameter. It reaches the script as the
// environment variable BREEZE_PARAM_<NAME> (PassAs "env", the default) or
// as a positional argument in declaration order (PassAs "arg"); never
// spliced into a shell string.
type ScriptParam struct {
	Name        string          `json:"name"` // [A-Za-z_][A-Za-z0-9_]{0,63}
	Type        ScriptParamType `json:"type"`
	Description string          `json:"description,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Default     string          `json:"default,omitempty"` // not allowed for secrets
	PassAs      string          `json:"passAs,omitempty"`  // env (default) | arg
}

// Script is a library script: an org's own (OrgID set) or shared by a
// partner with all its orgs (OrgID empty).
type Script struct {
	ID             string
	PartnerID      string
	OrgID          string // empty: partner-wide
	Name           string // unique within (partner, org)
	Description    string
	Language       string // sh, bash, python3, pwsh, or a runtime plugin's name
	Body           string
	Params         []ScriptParam
	TimeoutSeconds int
	RunAs          string   // "" = the agent's user
	OSFilter       []string // linux, windows, darwin; empty = any
	Version        int64    // bumps on every update; each version is kept
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ScriptVersion is a kept past (or the current) content of a script.
type ScriptVersion struct {
	ScriptID       string
	Version        int64
	Language       string
	Body           string
	Params         []ScriptParam
	TimeoutSeconds int
	RunAs          string
	OSFilter       []string
	CreatedBy      string
	CreatedAt      time.Time
}

// RunTargetKind says what a script run targets.
type RunTargetKind string

const (
	TargetDevices RunTargetKind = "devices"
	TargetGroup   RunTargetKind = "group"
	TargetSite    RunTargetKind = "site"
	TargetOrg     RunTargetKind = "org"
)

// ScriptRun is one run of a script on a set of devices: a batch whose
// per-device results are the Commands with BatchID = ID.
type ScriptRun struct {
	ID            string
	PartnerID     string
	OrgID         string // runs never span orgs
	ScriptID      string
	ScriptVersion int64
	TargetKind    RunTargetKind
	TargetID      string            // group, site or org id; empty for TargetDevices
	DeviceIDs     []string          // resolved targets (the devices the run was sent to)
	Params        map[string]string // secrets redacted
	RequestedBy   string
	CreatedAt     time.Time
}

// RunCounts tallies a run's commands by status.
type RunCounts map[CommandStatus]int
