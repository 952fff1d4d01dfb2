package domain

import "time"

// PluginRunState is what a device's agent last reported of one of its
// plugins (in hello, or in a plugin_states frame when they change).
type PluginRunState struct {
	PluginID string
	Version  string
	State    string // running, failed, disabled
	Error    string
	At       time.Time // when the server received the report
}
