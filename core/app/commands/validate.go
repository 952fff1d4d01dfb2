package commands

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

const (
	defaultOutputCap  = protocol.DefaultOutputCap
	maxPayload        = 512 << 10 // a command's payload (a script body is most of it)
	maxIdempotencyKey = 200
)

var (
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	serviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._:-]{0,254}$`)
	userName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}\$?$`)
	language    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	pluginID    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// validatePayload checks an action and its payload, and returns the
// payload to store (normalised: "null" for actions without one).
func validatePayload(action string, payload json.RawMessage) (json.RawMessage, error) {
	if !slices.Contains(protocol.Actions(), action) {
		return nil, domain.Invalidf("unknown action %q", clip(action))
	}
	if len(payload) > maxPayload {
		return nil, domain.Invalidf("payload of %d bytes, max %d", len(payload), maxPayload)
	}
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	strict := func(v any) error {
		if err := json.Unmarshal(payload, v); err != nil {
			return domain.Invalidf("%s payload: %v", action, err)
		}
		return nil
	}
	switch action {
	case protocol.ActionRunScript:
		var p protocol.RunScriptPayload
		if err := strict(&p); err != nil {
			return nil, err
		}
		if err := validateScriptPayload(p); err != nil {
			return nil, err
		}
	case protocol.ActionKillProcess:
		var p protocol.KillProcessPayload
		if err := strict(&p); err != nil {
			return nil, err
		}
		if p.PID <= 1 {
			return nil, domain.Invalidf("kill_process needs a pid above 1")
		}
		if p.Signal != "" && p.Signal != "TERM" && p.Signal != "KILL" {
			return nil, domain.Invalidf("kill_process signal must be TERM or KILL")
		}
	case protocol.ActionRestartService:
		var p protocol.ServicePayload
		if err := strict(&p); err != nil {
			return nil, err
		}
		if !serviceName.MatchString(p.Name) {
			return nil, domain.Invalidf("restart_service needs a service name of letters, digits and @._:-")
		}
	case protocol.ActionDiscover:
		var p protocol.DiscoverPayload
		if err := strict(&p); err != nil {
			return nil, err
		}
		if !pluginID.MatchString(p.Plugin) {
			return nil, domain.Invalidf("discover needs the id of a scanner plugin")
		}
		if len(p.Targets) == 0 || len(p.Targets) > 64 || len(p.Ports) > 1024 {
			return nil, domain.Invalidf("discover takes 1 to 64 targets and at most 1024 ports")
		}
		for _, t := range p.Targets {
			if t == "" || len(t) > 253 || strings.ContainsAny(t, " \t\n;|&$`'\"") {
				return nil, domain.Invalidf("discover target %q is not a host or CIDR", clip(t))
			}
		}
		for _, port := range p.Ports {
			if port < 1 || port > 65535 {
				return nil, domain.Invalidf("discover ports must be within 1..65535")
			}
		}
	case protocol.ActionReboot:
		var p protocol.RebootPayload
		if err := strict(&p); err != nil {
			return nil, err
		}
		if p.DelaySeconds < 0 || p.DelaySeconds > 86400 {
			return nil, domain.Invalidf("reboot delaySeconds must be within 0..86400")
		}
	}
	return payload, nil
}

// validateScriptPayload checks a run_script payload. Values may hold any
// bytes (they travel as arguments and environment, never through a shell);
// names and sizes are bounded.
func validateScriptPayload(p protocol.RunScriptPayload) error {
	if !language.MatchString(p.Language) {
		return domain.Invalidf("run_script needs a language (sh, bash, python3, pwsh, ...)")
	}
	if p.Body == "" {
		return domain.Invalidf("run_script needs a body")
	}
	if len(p.Args) > 256 || len(p.Env) > 256 {
		return domain.Invalidf("run_script takes at most 256 arguments and 256 environment variables")
	}
	for k := range p.Env {
		if !envName.MatchString(k) {
			return domain.Invalidf("environment variable name %q is not [A-Za-z_][A-Za-z0-9_]*", clip(k))
		}
	}
	if p.RunAs != "" && !userName.MatchString(p.RunAs) {
		return domain.Invalidf("runAs %q is not a user name", clip(p.RunAs))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
