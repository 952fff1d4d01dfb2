package actions

import (
	"regexp"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	userName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}\$?$`)
	language = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

func init() {
	Register(Spec{
		Name: protocol.ActionRunScript, Permission: domain.PermDevicesExecute, SecretParams: true, RunsScriptCode: true,
		Validate:   Payload(validateScript),
		PayloadDoc: "{language, body, args?, env?, runAs?}",
	})
}

// validateScript checks a run_script payload. Values may hold any bytes
// (they travel as arguments and environment, never through a shell);
// names and sizes are bounded.
func validateScript(p protocol.RunScriptPayload) error {
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
			return domain.Invalidf("environment variable name %q is not [A-Za-z_][A-Za-z0-9_]*", domain.Abbrev(k, 64))
		}
	}
	if len(p.SecretArgs) > 0 {
		return domain.Invalidf("run_script: secrets travel in env (secretEnv), never in args: arguments are visible to every local user in the process list")
	}
	if p.RunAs != "" && !userName.MatchString(p.RunAs) {
		return domain.Invalidf("runAs %q is not a user name", domain.Abbrev(p.RunAs, 64))
	}
	return nil
}
