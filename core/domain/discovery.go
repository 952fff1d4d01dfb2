package domain

import "time"

// Discovery profiles (what to scan in a site, and how), an org's discovery
// settings, and the assets scans found with their events. The observation
// vocabulary the scanners speak is in discovery_obs.go.

// MaxProfileAddresses bounds the addresses one profile covers (a /16).
const MaxProfileAddresses = 65536

// DiscoveryProfile is one site's scan recipe: targets minus exclusions,
// the methods and their limits, and which of the site's agents scan.
type DiscoveryProfile struct {
	ID         string
	PartnerID  string
	OrgID      string
	SiteID     string
	Name       string
	Targets    []string // CIDRs, ranges "a.b.c.d-e.f.g.h" or "a.b.c.d-h", hosts
	Exclusions []string // the same forms
	Methods    []DiscoveryMethod
	Ports      []int // the tcp method's ports
	// RatePerSecond and Concurrency bound each scanning agent's probes;
	// TimeoutSeconds bounds the whole scan.
	RatePerSecond  int
	Concurrency    int
	TimeoutSeconds int
	// ScannerDeviceIDs are devices of the site that may scan; Split spreads
	// the targets over the online ones.
	ScannerDeviceIDs []string
	Split            bool
	SNMP             *SNMPSettings // nil: no SNMP credentials
	// Addresses is the size of targets minus exclusions (computed at save).
	Addresses int
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// SNMPSettings are a profile's SNMP credentials. The secret fields
// (Community, AuthPass, PrivPass) are stored sealed ("sealed:..." values)
// and never leave the server except as sealed command secrets.
type SNMPSettings struct {
	Version   string `json:"version"` // "2c" or "3"
	Community string `json:"community,omitempty"`
	User      string `json:"user,omitempty"`
	AuthProto string `json:"authProto,omitempty"` // SHA, SHA256, SHA512, MD5
	AuthPass  string `json:"authPass,omitempty"`
	PrivProto string `json:"privProto,omitempty"` // AES, AES256, DES
	PrivPass  string `json:"privPass,omitempty"`
	Port      int    `json:"port,omitempty"`      // default 161
	TimeoutMs int    `json:"timeoutMs,omitempty"` // per request
}

// DiscoverySettings are an org's discovery rules: when AllowedRanges is
// not empty, every profile target must lie inside one of them.
type DiscoverySettings struct {
	OrgID         string
	PartnerID     string
	AllowedRanges []string // CIDRs
	UpdatedAt     time.Time
	Version       int64 // 0: never saved
}

// AssetState says what Breeze does with a discovered asset.
type AssetState string

const (
	AssetCandidate AssetState = "candidate" // no agent; could get one
	AssetManaged   AssetState = "managed"   // matched to an enrolled device
	AssetTracked   AssetState = "tracked"   // an unmanaged network device watched by the site's agents
	AssetIgnored   AssetState = "ignored"   // hidden from the candidate list
)

// Valid reports whether s is a known state.
func (s AssetState) Valid() bool {
	switch s {
	case AssetCandidate, AssetManaged, AssetTracked, AssetIgnored:
		return true
	}
	return false
}

// AssetPort is an open TCP port with a guess at its service.
type AssetPort struct {
	Port    int    `json:"port"`
	Service string `json:"service,omitempty"`
}

// Asset is one host discovered in a site, keyed by (SiteID, IP). Every text
// field but the ids and IP came from the network: untrusted.
type Asset struct {
	ID        string
	PartnerID string
	OrgID     string
	SiteID    string
	IP        string
	MAC       string
	Hostnames []string
	Vendor    string // from the MAC's OUI
	OpenPorts []AssetPort
	// PrevPorts are the open ports the previous scan that probed ports saw;
	// PortsJobID the scan that set OpenPorts.
	PrevPorts  []int
	PortsJobID string
	// Attributes are the scanners' facts ("snmp.sysName", "rttMs", ...).
	Attributes map[string]string
	State      AssetState
	DeviceID   string // the enrolled device it matched (MAC or IP)
	FirstSeen  time.Time
	LastSeen   time.Time
	Gone       bool // a complete scan of its range did not see it
	FirstJobID string
	LastJobID  string
	SeenByJobs []string // the latest scans that saw it, newest last
	ProfileIDs []string // the profiles whose scans saw it
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// New reports whether the asset appeared in the latest scan that saw it.
func (a *Asset) New() bool { return !a.Gone && a.FirstJobID != "" && a.FirstJobID == a.LastJobID }

// AssetEventKind names a change between scans.
type AssetEventKind string

const (
	AssetEventNew          AssetEventKind = "new"
	AssetEventGone         AssetEventKind = "gone"
	AssetEventBack         AssetEventKind = "back"
	AssetEventPortsChanged AssetEventKind = "ports_changed"
	// Actions taken on an asset are events too (who ignored it, when).
	AssetEventIgnored   AssetEventKind = "ignored"
	AssetEventUnignored AssetEventKind = "unignored"
	AssetEventTracked   AssetEventKind = "tracked"
	AssetEventUntracked AssetEventKind = "untracked"
	AssetEventDeployed  AssetEventKind = "deploy"
	AssetEventManaged   AssetEventKind = "managed"
)

// AssetEvent is one change of an asset.
type AssetEvent struct {
	ID        string
	AssetID   string
	PartnerID string
	OrgID     string
	SiteID    string
	Kind      AssetEventKind
	IP        string
	JobID     string // the scan that saw the change ("" for an action)
	Detail    string // e.g. "ports 22,80 -> 22,443", or who acted
	At        time.Time
}
