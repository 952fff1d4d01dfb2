package scripts

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// maxParamValue bounds one parameter value.
const maxParamValue = 32 << 10

// coerce turns a raw value into the string the script gets, checking its type.
func coerce(p domain.ScriptParam, v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		s = x.String()
	case nil:
		s = ""
	default:
		return "", domain.Invalidf("parameter %q: a %s is expected", p.Name, p.Type)
	}
	if len(s) > maxParamValue {
		return "", domain.Invalidf("parameter %q: value longer than %d bytes", p.Name, maxParamValue)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", domain.Invalidf("parameter %q: a NUL byte cannot travel in an argument or the environment", p.Name)
	}
	switch p.Type {
	case domain.ParamNumber:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "", domain.Invalidf("parameter %q: %q is not a number", p.Name, domain.Abbrev(s, 64))
		}
	case domain.ParamBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return "", domain.Invalidf("parameter %q: %q is not true or false", p.Name, domain.Abbrev(s, 64))
		}
		s = strconv.FormatBool(b)
	}
	return s, nil
}

// bind checks the run's values against the script's parameters and builds
// the payload: env parameters as BREEZE_PARAM_<NAME>, arg parameters as
// positional arguments in declaration order. Values are never interpreted.
// It also returns the values to keep with the run, secrets redacted.
func bind(sc *domain.Script, values map[string]any) (protocol.RunScriptPayload, map[string]string, error) {
	p := protocol.RunScriptPayload{Language: sc.Language, Body: sc.Body, RunAs: sc.RunAs, Env: map[string]string{}}
	kept := map[string]string{}
	known := map[string]bool{}
	for _, prm := range sc.Params {
		known[prm.Name] = true
		raw, given := values[prm.Name]
		var v string
		switch {
		case given:
			s, err := coerce(prm, raw)
			if err != nil {
				return p, nil, err
			}
			v = s
		case prm.Default != "":
			v = prm.Default
		case prm.Required:
			return p, nil, domain.Invalidf("parameter %q is required", prm.Name)
		default:
			continue
		}
		if prm.Required && v == "" {
			return p, nil, domain.Invalidf("parameter %q is required", prm.Name)
		}
		secret := prm.Type == domain.ParamSecret
		if err := secretPassing(prm); err != nil {
			// A script stored before the rule: it must be edited first.
			return p, nil, err
		}
		if prm.PassAs == "arg" {
			if secret {
				p.SecretArgs = append(p.SecretArgs, len(p.Args))
			}
			p.Args = append(p.Args, v)
		} else {
			name := "BREEZE_PARAM_" + strings.ToUpper(prm.Name)
			p.Env[name] = v
			if secret {
				p.SecretEnv = append(p.SecretEnv, name)
			}
		}
		if secret {
			v = "********"
		}
		kept[prm.Name] = v
	}
	for name := range values {
		if !known[name] {
			return p, nil, domain.Invalidf("the script has no parameter %q", domain.Abbrev(name, 64))
		}
	}
	return p, kept, nil
}
