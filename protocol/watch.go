package protocol

import "encoding/json"

// Tracked network devices (printers, switches, cameras found by discovery
// and kept as agentless devices) are watched by agents of their site: the
// server tells a watcher its whole watch list in a TypeWatch frame (after
// the welcome, and again whenever the list changes; an empty list stops
// watching), and the watcher reports what it saw every interval in a
// TypeWatchReport frame. The agent probes with the scanner plugins it runs
// (breeze.netsweep for ICMP, breeze.tcpscan for the ports, breeze.snmp),
// so a watcher without them reports every host with Err set. The agent
// forgets its list when the link drops (no report could go), so the server
// sends the list after every welcome, not only when it changed.

// Frame types of watching.
const (
	TypeWatch       = "watch"        // server → agent: the whole watch list
	TypeWatchReport = "watch_report" // agent → server: one round's results
)

// Watch bounds.
const (
	MaxWatchHosts            = 1024 // hosts in one watch list
	MinWatchIntervalSeconds  = 15
	MaxWatchIntervalSeconds  = 3600
	DefaultWatchIntervalSecs = 60
)

// WatchHost is one host to watch. A host is up when any of its probes
// answers: ICMP echo first, then a TCP connect to Ports, then an SNMP get
// (when SNMP is set).
type WatchHost struct {
	ID    string     `json:"id"` // the network device's id
	IP    string     `json:"ip"`
	Ports []int      `json:"ports,omitempty"`
	SNMP  *WatchSNMP `json:"snmp,omitempty"`
}

// WatchSNMP is what the breeze.snmp scanner needs for one host: the
// options and secrets of a DiscoverPayload (the discovery profile's SNMP
// settings, opened by the server; they travel only over the agent's TLS
// link, as in a discover command).
type WatchSNMP struct {
	Options json.RawMessage   `json:"options,omitempty"` // as DiscoverPayload.Options
	Secrets map[string]string `json:"secrets,omitempty"`
}

// Watch is the TypeWatch frame: it replaces the agent's whole watch list.
type Watch struct {
	Header
	IntervalSeconds int         `json:"intervalSeconds"`
	Hosts           []WatchHost `json:"hosts"`
}

// WatchResult is one host's state in one round.
type WatchResult struct {
	ID    string  `json:"id"`
	Up    bool    `json:"up"`
	Via   string  `json:"via,omitempty"` // icmp, tcp, snmp: the probe that answered
	RTTMs float64 `json:"rttMs,omitempty"`
	Err   string  `json:"err,omitempty"` // why the host could not be probed (not "down")
}

// WatchReport is the TypeWatchReport frame: one round over the whole list.
type WatchReport struct {
	Header
	Results []WatchResult `json:"results"`
}
