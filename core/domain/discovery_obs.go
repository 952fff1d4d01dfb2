package domain

import "time"

// Discovery's shared vocabulary: what a scan saw (an observation) and which
// scan saw it. Profiles and assets are in discovery.go, scan jobs in
// discovery_scan.go; both halves meet here (see docs/discovery.md).

// DiscoveryMethod is one way of finding hosts or facts about them.
type DiscoveryMethod string

const (
	MethodICMP DiscoveryMethod = "icmp" // ICMP echo
	MethodTCP  DiscoveryMethod = "tcp"  // TCP connect on the profile's ports
	MethodARP  DiscoveryMethod = "arp"  // the scanning agent's ARP/neighbour table
	MethodRDNS DiscoveryMethod = "rdns" // reverse DNS of every live host
	MethodSNMP DiscoveryMethod = "snmp" // SNMP v2c/v3 system and interface facts
)

// ScanRef names the scan an observation came from and where it belongs.
type ScanRef struct {
	JobID     string
	PartnerID string
	OrgID     string
	SiteID    string
	ProfileID string
	At        time.Time // when the pages were received
	// ScannerDeviceID is the agent whose page this is (for Finish: the
	// scan's first scanner); asset alerts of hosts without a device of
	// their own belong to it.
	ScannerDeviceID string
}

// AssetAlert is one asset event as the alerting hears it: the device the
// alert belongs to (the asset's own device when it has one, else the
// scanner that saw or missed it) and what a message names.
type AssetAlert struct {
	Kind     AssetEventKind
	DeviceID string
	AssetID  string
	SiteID   string
	IP       string
	MAC      string
	Vendor   string
	Hostname string
	State    AssetState
	At       time.Time
}

// AssetObservation is one host as one scanner page reported it. Several
// observations of the same IP in one scan (a sweep, then a port scan, then
// SNMP) are merged: the union of ports, hostnames and attributes.
type AssetObservation struct {
	IP        string
	MAC       string // lower-case, colon-separated; "" when unknown
	Hostname  string // reverse DNS or SNMP sysName; untrusted text
	Alive     bool
	OpenPorts []int
	// Attributes are scanner facts, e.g. "snmp.sysName", "snmp.sysDescr",
	// "snmp.sysObjectID", "snmp.interfaces" (JSON), "rttMs". Untrusted text.
	Attributes map[string]string
	// Method is the method that produced the observation.
	Method DiscoveryMethod
}

// ScanPlan is what a scan needs from its profile, resolved when the scan
// starts: the profile half (core/app/discovery) makes it, the scan half
// (core/app/discovery/scans) runs it.
type ScanPlan struct {
	Ref ScanRef // JobID empty until the scan is created
	// Targets are disjoint CIDRs ("10.0.0.0/24", a host as "/32") covering
	// exactly the profile's targets minus its exclusions; Addresses is
	// their total size (within the profile size limit).
	Targets   []string
	Addresses int
	Methods   []DiscoveryMethod
	Ports     []int // the TCP method's ports
	// RatePerSecond and Concurrency bound each scanning agent's probes.
	RatePerSecond int
	Concurrency   int
	Timeout       time.Duration // the whole scan's
	// ScannerDeviceIDs are the site's agents that may scan; Split spreads
	// the targets across the online ones, else one online agent scans all.
	ScannerDeviceIDs []string
	Split            bool
	// SNMP are the SNMP plugin's options with the credentials opened
	// (version, community or v3 user and keys): they travel only as
	// sealed command secrets.
	SNMP map[string]string
}
