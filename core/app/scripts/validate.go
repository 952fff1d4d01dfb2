package scripts

import (
	"regexp"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

var (
	paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	userName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}\$?$`)
	osNames   = []string{"linux", "windows", "darwin"}
)

// validate checks a script's fields and fills defaults.
func (s *Service) validate(sc *domain.Script) error {
	sc.Name = strings.TrimSpace(sc.Name)
	if sc.Name == "" || len(sc.Name) > 200 {
		return domain.Invalidf("a script needs a name of 1 to 200 characters")
	}
	if len(sc.Description) > 4000 {
		return domain.Invalidf("description longer than 4000 characters")
	}
	if !slices.Contains(Languages, sc.Language) && !slices.Contains(s.d.ExtraLanguages, sc.Language) {
		return domain.Invalidf("language %q is not one of %s", domain.Abbrev(sc.Language, 64), strings.Join(append(append([]string{}, Languages...), s.d.ExtraLanguages...), ", "))
	}
	if strings.TrimSpace(sc.Body) == "" || len(sc.Body) > MaxBody {
		return domain.Invalidf("a script needs a body of at most %d bytes", MaxBody)
	}
	if sc.TimeoutSeconds == 0 {
		sc.TimeoutSeconds = DefaultTimeout
	}
	if sc.TimeoutSeconds < 1 || sc.TimeoutSeconds > MaxTimeoutSeconds {
		return domain.Invalidf("timeoutSeconds must be within 1..%d", MaxTimeoutSeconds)
	}
	if sc.RunAs != "" && !userName.MatchString(sc.RunAs) {
		return domain.Invalidf("runAs %q is not a user name", domain.Abbrev(sc.RunAs, 64))
	}
	for _, o := range sc.OSFilter {
		if !slices.Contains(osNames, o) {
			return domain.Invalidf("osFilter entries must be linux, windows or darwin")
		}
	}
	return validateParams(sc.Params)
}

func validateParams(ps []domain.ScriptParam) error {
	if len(ps) > MaxParams {
		return domain.Invalidf("at most %d parameters", MaxParams)
	}
	seen := map[string]bool{}
	for i := range ps {
		p := &ps[i]
		if !paramName.MatchString(p.Name) {
			return domain.Invalidf("parameter name %q is not [A-Za-z_][A-Za-z0-9_]*", domain.Abbrev(p.Name, 64))
		}
		up := strings.ToUpper(p.Name)
		if seen[up] {
			return domain.Invalidf("parameter %q is declared twice", p.Name)
		}
		seen[up] = true
		switch p.Type {
		case domain.ParamString, domain.ParamNumber, domain.ParamBoolean, domain.ParamSecret:
		default:
			return domain.Invalidf("parameter %q: type must be string, number, boolean or secret", p.Name)
		}
		if p.PassAs == "" {
			p.PassAs = "env"
		}
		if p.PassAs != "env" && p.PassAs != "arg" {
			return domain.Invalidf("parameter %q: passAs must be env or arg", p.Name)
		}
		if err := secretPassing(*p); err != nil {
			return err
		}
		if p.Type == domain.ParamSecret && p.Default != "" {
			return domain.Invalidf("parameter %q: a secret has no default", p.Name)
		}
		if p.Default != "" {
			if _, err := coerce(*p, p.Default); err != nil {
				return err
			}
		}
		if len(p.Description) > 1000 || len(p.Default) > 4096 {
			return domain.Invalidf("parameter %q: description or default too long", p.Name)
		}
	}
	return nil
}

// secretPassing refuses a secret passed as an argument: a process's
// arguments are visible to every local user of the device (ps, /proc), its
// environment only to the same user and root.
func secretPassing(p domain.ScriptParam) error {
	if p.Type == domain.ParamSecret && p.PassAs == "arg" {
		return domain.Invalidf("parameter %q: a secret is passed in the environment (passAs env), never as an argument: "+
			"arguments are visible to every local user in the process list", p.Name)
	}
	return nil
}
