package commands

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Sealer encrypts secret parameter values at rest (adapters/secretbox);
// aad binds a value to its command and place.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// sealedPrefix marks a sealed value in a stored payload.
const sealedPrefix = "sealed:"

// secretAAD binds a secret to its owner (a command or a run) and place.
func secretAAD(owner, place string) []byte { return []byte("breeze.secret|" + owner + "|" + place) }

// transformSecrets applies fn to every secret value of a run_script
// payload and returns the new payload (nil when there is none to change).
func transformSecrets(payload json.RawMessage, fn func(place, v string) (string, error)) (json.RawMessage, error) {
	var p protocol.RunScriptPayload
	if err := json.Unmarshal(payload, &p); err != nil || (len(p.SecretEnv) == 0 && len(p.SecretArgs) == 0) {
		return nil, nil
	}
	for _, k := range p.SecretEnv {
		if v, ok := p.Env[k]; ok {
			nv, err := fn("env:"+k, v)
			if err != nil {
				return nil, err
			}
			p.Env[k] = nv
		}
	}
	for _, i := range p.SecretArgs {
		if i >= 0 && i < len(p.Args) {
			nv, err := fn("arg:"+strconv.Itoa(i), p.Args[i])
			if err != nil {
				return nil, err
			}
			p.Args[i] = nv
		}
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return raw, nil
}

// transformFor applies fn to the action's secret values: through its
// Spec's Secrets when it has one, else as a run_script payload.
func transformFor(action string, payload json.RawMessage, fn func(place, v string) (string, error)) (json.RawMessage, error) {
	if spec, ok := actions.Lookup(action); ok && spec.Secrets != nil {
		return spec.Secrets(payload, fn)
	}
	return transformSecrets(payload, fn)
}

// SealSecrets seals a run_script payload's secret values for owner (a
// command id, or a run id for a queued fan-out). Without a sealer the
// payload is returned as it is.
func SealSecrets(sealer Sealer, owner string, payload json.RawMessage) (json.RawMessage, error) {
	return SealActionSecrets(sealer, protocol.ActionRunScript, owner, payload)
}

// SealActionSecrets is SealSecrets for any action with secret parameters.
func SealActionSecrets(sealer Sealer, action, owner string, payload json.RawMessage) (json.RawMessage, error) {
	if sealer == nil {
		return payload, nil
	}
	out, err := transformFor(action, payload, func(place, v string) (string, error) {
		if strings.HasPrefix(v, sealedPrefix) {
			return v, nil
		}
		sealed, err := sealer.Seal([]byte(v), secretAAD(owner, place))
		if err != nil {
			return "", fmt.Errorf("seal a secret parameter: %w", err)
		}
		return sealedPrefix + sealed, nil
	})
	if err != nil || out == nil {
		return payload, err
	}
	return out, nil
}

// OpenSecrets reverses SealSecrets (values not sealed pass unchanged).
func OpenSecrets(sealer Sealer, owner string, payload json.RawMessage) (json.RawMessage, error) {
	return OpenActionSecrets(sealer, protocol.ActionRunScript, owner, payload)
}

// OpenActionSecrets reverses SealActionSecrets.
func OpenActionSecrets(sealer Sealer, action, owner string, payload json.RawMessage) (json.RawMessage, error) {
	out, err := transformFor(action, payload, func(place, v string) (string, error) {
		if !strings.HasPrefix(v, sealedPrefix) {
			return v, nil
		}
		if sealer == nil {
			return "", fmt.Errorf("a sealed secret parameter and no key to open it")
		}
		plain, err := sealer.Open(strings.TrimPrefix(v, sealedPrefix), secretAAD(owner, place))
		if err != nil {
			return "", fmt.Errorf("open a secret parameter (wrong BREEZE_PLUGIN_SECRET_KEY?): %w", err)
		}
		return string(plain), nil
	})
	if err != nil || out == nil {
		return payload, err
	}
	return out, nil
}

// Redacted returns c with its secret parameter values shown as ********,
// as every API answer and event shows them (c itself is not changed).
func Redacted(c *domain.Command) *domain.Command {
	if c == nil || !actions.SecretParams(c.Action) {
		return c
	}
	if raw := redact(c); raw != nil {
		cp := *c
		cp.Payload = raw
		return &cp
	}
	return c
}
