package pluginserver

import (
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/pluginhost"
)

// Sandbox says whether server-side plugins run in an empty network
// namespace, so that the host's egress (sdk.HTTPClient) is their only way
// out and its policy cannot be bypassed by a plugin dialling itself.
type Sandbox string

const (
	// SandboxAuto isolates where the kernel allows it and otherwise logs a
	// warning and runs plugins with the server's network (the egress
	// policy then binds only plugins that use the host's HTTP).
	SandboxAuto Sandbox = "auto"
	// SandboxOn isolates or refuses to run server-side plugins at all.
	SandboxOn Sandbox = "on"
	// SandboxOff runs plugins with the server's network.
	SandboxOff Sandbox = "off"
)

// ParseSandbox reads auto, on or off ("" is auto).
func ParseSandbox(s string) (Sandbox, error) {
	switch Sandbox(s) {
	case "", SandboxAuto:
		return SandboxAuto, nil
	case SandboxOn, SandboxOff:
		return Sandbox(s), nil
	}
	return "", fmt.Errorf("plugin sandbox %q: want auto, on or off", s)
}

// isolate resolves the mode on this machine: whether to start plugins
// without a network, or why plugins cannot run at all.
func (m Sandbox) isolate(log hclog.Logger) (bool, error) {
	if m == SandboxOff {
		log.Warn("plugin sandbox is off: server-side plugins share the server's network and can bypass the egress policy")
		return false, nil
	}
	err := pluginhost.NetworkIsolation()
	switch {
	case err == nil:
		return true, nil
	case m == SandboxOn:
		return false, fmt.Errorf("pluginserver: plugin sandbox on: %w", err)
	}
	log.Warn("server-side plugins run with the server's network: the egress policy binds only their requests through the host",
		"reason", err)
	return false, nil
}
