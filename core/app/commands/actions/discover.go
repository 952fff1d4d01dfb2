package actions

import (
	"regexp"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

var pluginID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func init() {
	Register(Spec{
		Name: protocol.ActionDiscover, Permission: domain.PermDevicesExecute,
		Validate:   Payload(validateDiscover),
		PayloadDoc: "{plugin, targets, ports?}",
	})
}

func validateDiscover(p protocol.DiscoverPayload) error {
	if !pluginID.MatchString(p.Plugin) {
		return domain.Invalidf("discover needs the id of a scanner plugin")
	}
	if len(p.Targets) == 0 || len(p.Targets) > 64 || len(p.Ports) > 1024 {
		return domain.Invalidf("discover takes 1 to 64 targets and at most 1024 ports")
	}
	for _, t := range p.Targets {
		if t == "" || len(t) > 253 || strings.ContainsAny(t, " \t\n;|&$`'\"") {
			return domain.Invalidf("discover target %q is not a host or CIDR", domain.Abbrev(t, 64))
		}
	}
	if !inRange(p.Ports, 1, 65535) {
		return domain.Invalidf("discover ports must be within 1..65535")
	}
	return nil
}
