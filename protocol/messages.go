package protocol

import (
	"encoding/json"
	"fmt"
	"time"
)

// Frame types.
const (
	// agent → server
	TypeHello     = "hello"
	TypeHeartbeat = "heartbeat"
	TypeInventory = "inventory"
	TypePong      = "pong"
	// server → agent
	TypeWelcome = "welcome"
	TypePing    = "ping"
	TypeError   = "error"
)

// Header is the part every frame has.
type Header struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// PeekType reads a frame's type without decoding the rest.
func PeekType(frame []byte) (string, error) {
	var h Header
	if err := json.Unmarshal(frame, &h); err != nil {
		return "", fmt.Errorf("malformed frame: %w", err)
	}
	if h.Type == "" {
		return "", fmt.Errorf("frame has no type")
	}
	return h.Type, nil
}

// Hello is the agent's first frame on a new link.
type Hello struct {
	Header
	ProtocolVersion int           `json:"protocolVersion"`
	AgentVersion    string        `json:"agentVersion"`
	Hostname        string        `json:"hostname"`
	OS              string        `json:"os"`
	Arch            string        `json:"arch"`
	Capabilities    []string      `json:"capabilities"`
	Plugins         []PluginState `json:"plugins,omitempty"`
}

// PluginState reports an agent-side plugin (the plugins work fills it).
type PluginState struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	State   string `json:"state"` // running, failed, disabled
	Error   string `json:"error,omitempty"`
	// Unsigned: the agent runs it without a signature (its development
	// mode); Source is "dev" for a plugin loaded from the agent's own
	// plugin dev directory, empty for one the server offered.
	Unsigned bool   `json:"unsigned,omitempty"`
	Source   string `json:"source,omitempty"`
}

// Welcome answers hello with the settings the agent must follow.
type Welcome struct {
	Header
	DeviceID          string `json:"deviceId"`
	HeartbeatInterval int    `json:"heartbeatInterval"` // seconds
	// HeartbeatIntervalMs, when positive, overrides HeartbeatInterval with
	// millisecond precision, for tests and the load simulator; production
	// servers leave it unset. (Added by the agent work; additive only.)
	HeartbeatIntervalMs int       `json:"heartbeatIntervalMs,omitempty"`
	ServerTime          time.Time `json:"serverTime"`
	// InventoryWanted asks for a full inventory (the server has none).
	InventoryWanted bool `json:"inventoryWanted"`
	// Plugins are the agent-side plugins to run (see PluginOffer); an
	// absent list means none.
	Plugins []PluginOffer `json:"plugins,omitempty"`
	// ResultAcks: the server answers each stored command_result with a
	// command_stored; the agent keeps a result (on disk) and sends it again
	// until then. Without it, a result written to the link counts as
	// delivered (older servers).
	ResultAcks bool `json:"resultAcks,omitempty"`
	// ServerURLs are the deployment's URLs for agents (BREEZE_AGENT_URLS),
	// tried in turn after the agent's own when a dial fails; absent: the
	// agent keeps what it has.
	ServerURLs []string `json:"serverUrls,omitempty"`
	// CertRenew asks the agent for a cert_request now (its certificate
	// comes from a CA that is being rotated out, or it has none while the
	// server issues them).
	CertRenew bool `json:"certRenew,omitempty"`
}

// Heartbeat is the periodic telemetry sample. At is when it was taken, so
// heartbeats buffered while offline keep their own time.
type Heartbeat struct {
	Header
	At            time.Time   `json:"at"`
	CPUPercent    float64     `json:"cpuPercent"`
	MemoryTotal   uint64      `json:"memoryTotal"`
	MemoryUsed    uint64      `json:"memoryUsed"`
	Disks         []DiskUsage `json:"disks,omitempty"`
	Network       []NetRate   `json:"network,omitempty"`
	Load1         float64     `json:"load1"`
	Load5         float64     `json:"load5"`
	Load15        float64     `json:"load15"`
	UptimeSeconds uint64      `json:"uptimeSeconds"`
	ProcessCount  int         `json:"processCount"`
	// PluginMetrics are collector plugins' metrics of this sample.
	PluginMetrics []PluginMetric `json:"pluginMetrics,omitempty"`
}

// DiskUsage is one mounted filesystem's usage.
type DiskUsage struct {
	Mount  string `json:"mount"`
	FSType string `json:"fsType"`
	Total  uint64 `json:"total"`
	Used   uint64 `json:"used"`
}

// NetRate is one interface's throughput since the previous heartbeat.
type NetRate struct {
	Interface string  `json:"interface"`
	RxBps     float64 `json:"rxBps"` // bytes per second
	TxBps     float64 `json:"txBps"`
}

// Inventory describes the machine. Full=true replaces what the server has;
// otherwise only the changed sections are set, and software changes come as
// SoftwareAdded/SoftwareRemoved.
type Inventory struct {
	Header
	Full            bool              `json:"full"`
	At              time.Time         `json:"at"`
	OS              *OSInfo           `json:"os,omitempty"`
	CPU             *CPUInfo          `json:"cpu,omitempty"`
	MemoryTotal     uint64            `json:"memoryTotal,omitempty"`
	Disks           []Disk            `json:"disks,omitempty"`
	Filesystems     []Filesystem      `json:"filesystems,omitempty"`
	Interfaces      []NetInterface    `json:"interfaces,omitempty"`
	Software        []SoftwarePackage `json:"software,omitempty"`
	SoftwareAdded   []SoftwarePackage `json:"softwareAdded,omitempty"`
	SoftwareRemoved []SoftwarePackage `json:"softwareRemoved,omitempty"`
	// Facts are collector plugins' inventory facts (replaced as a whole
	// when set).
	Facts []PluginFact `json:"facts,omitempty"`
}

// OSInfo names the operating system.
type OSInfo struct {
	Name          string `json:"name"` // linux, windows, darwin
	Platform      string `json:"platform"`
	Version       string `json:"version"`
	KernelVersion string `json:"kernelVersion"`
	Hostname      string `json:"hostname"`
}

// CPUInfo describes the processor.
type CPUInfo struct {
	Model   string `json:"model"`
	Cores   int    `json:"cores"`
	Threads int    `json:"threads"`
}

// Disk is a physical or virtual block device.
type Disk struct {
	Name  string `json:"name"`
	Size  uint64 `json:"size"`
	Model string `json:"model,omitempty"`
}

// Filesystem is a mounted filesystem.
type Filesystem struct {
	Mount  string `json:"mount"`
	Device string `json:"device"`
	FSType string `json:"fsType"`
	Total  uint64 `json:"total"`
}

// NetInterface is a network interface with its addresses.
type NetInterface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
}

// SoftwarePackage is an installed package (dpkg, rpm, ...).
type SoftwarePackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"` // dpkg, rpm, msi, brew, ...
}

// Ping and Pong keep the link alive at the application level (the
// WebSocket control frames do the same at the transport level).
type Ping struct{ Header }
type Pong struct{ Header }

// Error tells the agent why the server refused a frame. Fatal errors are
// followed by the server closing the link.
type Error struct {
	Header
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal,omitempty"`
}
