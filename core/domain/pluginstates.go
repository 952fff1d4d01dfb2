package domain

import "time"

// PluginRunState is what a device's agent last reported of one of its
// plugins (in hello, or in a plugin_states frame when they change).
type PluginRunState struct {
	PluginID string
	Version  string
	State    string // running, failed, disabled
	Error    string
	// Unsigned: the agent runs it without a signature (its development
	// mode); Source is "dev" when it came from the agent's own plugin dev
	// directory.
	Unsigned bool
	Source   string
	At       time.Time // when the server received the report
}
