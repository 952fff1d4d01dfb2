package actions

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

var (
	pluginID  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	optionKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,63}$`)
)

func init() {
	Register(Spec{
		Name: protocol.ActionDiscover, Permission: domain.PermDevicesExecute,
		Validate:   Payload(validateDiscover),
		Secrets:    discoverSecrets,
		PayloadDoc: "{plugin, targets, ports?, options?, secrets?, stream?}",
	})
}

func validateDiscover(p protocol.DiscoverPayload) error {
	if !pluginID.MatchString(p.Plugin) {
		return domain.Invalidf("discover needs the id of a scanner plugin")
	}
	if len(p.Targets) == 0 || len(p.Targets) > protocol.MaxDiscoverTargets || len(p.Ports) > 1024 {
		return domain.Invalidf("discover takes 1 to %d targets and at most 1024 ports", protocol.MaxDiscoverTargets)
	}
	for _, t := range p.Targets {
		if t == "" || len(t) > 253 || strings.ContainsAny(t, " \t\n;|&$`'\"") {
			return domain.Invalidf("discover target %q is not a host or CIDR", domain.Abbrev(t, 64))
		}
	}
	if !inRange(p.Ports, 1, 65535) {
		return domain.Invalidf("discover ports must be within 1..65535")
	}
	if len(p.Secrets) > 16 {
		return domain.Invalidf("discover takes at most 16 secret options")
	}
	for k, v := range p.Secrets {
		if !optionKey.MatchString(k) || len(v) > 1024 {
			return domain.Invalidf("discover secret option %q is not a short option name and value", domain.Abbrev(k, 64))
		}
	}
	if len(p.Options) > 0 && string(p.Options) != "null" {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(p.Options, &o); err != nil {
			return domain.Invalidf("discover options must be an object")
		}
		for k := range o {
			if !optionKey.MatchString(k) {
				return domain.Invalidf("discover option %q is not an option name", domain.Abbrev(k, 64))
			}
			if _, dup := p.Secrets[k]; dup {
				return domain.Invalidf("discover option %q is given both plainly and as a secret", k)
			}
		}
	}
	return nil
}

// discoverSecrets maps every value of the payload's Secrets (the SNMP
// credentials of a scan), in key order.
func discoverSecrets(payload json.RawMessage, fn func(place, v string) (string, error)) (json.RawMessage, error) {
	var p protocol.DiscoverPayload
	if err := json.Unmarshal(payload, &p); err != nil || len(p.Secrets) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(p.Secrets))
	for k := range p.Secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := fn("secret:"+k, p.Secrets[k])
		if err != nil {
			return nil, err
		}
		p.Secrets[k] = v
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return raw, nil
}
