package protocol

import "encoding/json"

// TypePlugins (server → agent) replaces the set of agent-side plugins the
// agent should run; the welcome carries the first set.
const TypePlugins = "plugins"

// ActionDiscover runs a scanner plugin on the agent: payload
// DiscoverPayload, result Data a JSON array of assets, or DiscoverCounts
// when the payload asks for pages (Stream).
const ActionDiscover = "discover"

// PluginOffer is an agent-side plugin the server wants the agent to run
// (enabled for the device's org). The agent downloads the archive from
// ArchivePath over its authenticated connection (Bearer agent token),
// checks its SHA-256 and its signature against the keys it trusts, and
// only then runs it. Settings are the org's settings for the plugin.
type PluginOffer struct {
	ID          string          `json:"id"`
	Version     string          `json:"version"`
	Kind        string          `json:"kind"`   // collector, script_runtime, scanner
	SHA256      string          `json:"sha256"` // of the archive, hex
	Size        int64           `json:"size"`
	ArchivePath string          `json:"archivePath"` // e.g. /api/v1/agents/<device>/plugins/<id>/archive
	Settings    json.RawMessage `json:"settings,omitempty"`
	// Source is "dev" when the server's plugin dev mode loaded it (an
	// unsigned build): a label the agent repeats in its state only when it
	// indeed runs the plugin unsigned; it never relaxes a check.
	Source string `json:"source,omitempty"`
}

// Plugins is the TypePlugins frame.
type Plugins struct {
	Header
	Plugins []PluginOffer `json:"plugins"`
}

// PluginMetric is one collector plugin's metric in a heartbeat.
type PluginMetric struct {
	Plugin string            `json:"plugin"`
	Name   string            `json:"name"`
	Value  float64           `json:"value"`
	Unit   string            `json:"unit,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// PluginFact is one collector plugin's inventory fact.
type PluginFact struct {
	Plugin string `json:"plugin"`
	Key    string `json:"key"`
	Value  string `json:"value"`
}

// DiscoverPayload is the discover action's payload. Options may set
// concurrency, ratePerSecond and timeoutMs (numbers); other keys are
// strings passed to the plugin. Secrets are plugin options too (SNMP
// credentials): sealed at rest on the server, opened only in the frame
// to the agent, redacted once the command ends.
//
// Stream: the agent sends the assets as TypeDiscoverPage frames of at most
// MaxDiscoverPageAssets while the scan runs, and the result Data is a
// DiscoverCounts; without it Data is the JSON array of assets (capped).
type DiscoverPayload struct {
	Plugin  string            `json:"plugin"`  // the scanner plugin's id
	Targets []string          `json:"targets"` // CIDRs or hosts
	Ports   []int             `json:"ports,omitempty"`
	Options json.RawMessage   `json:"options,omitempty"`
	Secrets map[string]string `json:"secrets,omitempty"`
	Stream  bool              `json:"stream,omitempty"`
}

// TypePluginStates (agent → server) reports the agent-side plugins' states
// after they changed during a link (hello carries them at link time).
const TypePluginStates = "plugin_states"

// PluginStates is the TypePluginStates frame.
type PluginStates struct {
	Header
	Plugins []PluginState `json:"plugins"`
}
