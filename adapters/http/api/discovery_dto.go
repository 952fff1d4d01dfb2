package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/domain"
)

// SecretState says whether a write-only secret is set; its value never
// leaves the server.
type SecretState struct {
	Set bool `json:"set"`
}

// DiscoverySNMP is a profile's SNMP settings as read (secrets write-only).
type DiscoverySNMP struct {
	Version   string       `json:"version" doc:"2c or 3."`
	Community *SecretState `json:"community,omitempty" doc:"v2c: whether a community is set."`
	User      string       `json:"user,omitempty" doc:"v3 user name."`
	AuthProto string       `json:"authProto,omitempty" doc:"v3: SHA, SHA256, SHA512 or MD5 (absent: noAuthNoPriv)."`
	AuthPass  *SecretState `json:"authPass,omitempty" doc:"v3: whether an authentication passphrase is set."`
	PrivProto string       `json:"privProto,omitempty" doc:"v3: AES, AES256 or DES (absent: no privacy)."`
	PrivPass  *SecretState `json:"privPass,omitempty" doc:"v3: whether a privacy passphrase is set."`
	Port      int          `json:"port"`
	TimeoutMs int          `json:"timeoutMs"`
}

// DiscoverySNMPRequest is the SNMP part of a profile write. The secrets
// are write-only: send a string to set one, "" to clear it, or leave it
// out (or send {"set": true}, what a GET shows) to keep the stored one.
type DiscoverySNMPRequest struct {
	Version   string          `json:"version" doc:"2c or 3."`
	Community json.RawMessage `json:"community,omitempty" doc:"v2c community (write-only string)."`
	User      string          `json:"user,omitempty"`
	AuthProto string          `json:"authProto,omitempty"`
	AuthPass  json.RawMessage `json:"authPass,omitempty" doc:"v3 authentication passphrase, 8+ characters (write-only string)."`
	PrivProto string          `json:"privProto,omitempty"`
	PrivPass  json.RawMessage `json:"privPass,omitempty" doc:"v3 privacy passphrase, 8+ characters (write-only string)."`
	Port      int             `json:"port,omitempty" doc:"Default 161."`
	TimeoutMs int             `json:"timeoutMs,omitempty" doc:"Per request, 100 to 60000 (default 2000)."`
}

// DiscoveryProfile is a site's scan recipe.
type DiscoveryProfile struct {
	ID               string         `json:"id"`
	PartnerID        string         `json:"partnerId"`
	OrgID            string         `json:"orgId"`
	SiteID           string         `json:"siteId"`
	Name             string         `json:"name"`
	Targets          []string       `json:"targets" doc:"IPv4 CIDRs, ranges (10.0.0.10-10.0.0.20 or 10.0.0.10-20) and hosts; IPv6 prefixes of /112 or longer and hosts."`
	Exclusions       []string       `json:"exclusions" doc:"The same forms, left out of the scan."`
	Methods          []string       `json:"methods" doc:"icmp, tcp, arp, rdns, snmp."`
	Ports            []int          `json:"ports" doc:"The tcp method's ports (1 to 65535, at most 1024)."`
	RatePerSecond    int            `json:"ratePerSecond" doc:"Probes per second per scanning agent, 1 to 10000."`
	Concurrency      int            `json:"concurrency" doc:"Probes in flight per scanning agent, 1 to 1024."`
	TimeoutSeconds   int            `json:"timeoutSeconds" doc:"The whole scan's timeout, 30 to 86400."`
	ScannerDeviceIDs []string       `json:"scannerDeviceIds" doc:"Devices of the site that scan."`
	Split            bool           `json:"split" doc:"Spread the targets over the online scanners (else the first online one scans all)."`
	SNMP             *DiscoverySNMP `json:"snmp"`
	Addresses        int            `json:"addresses" doc:"Addresses covered: targets minus exclusions (at most 65536)."`
	CreatedBy        string         `json:"createdBy,omitempty"`
	CreatedAt        time.Time      `json:"createdAt"`
	UpdatedAt        time.Time      `json:"updatedAt"`
	Version          int64          `json:"version"`
}

func (p DiscoveryProfile) resourceID() string { return p.ID }

// DiscoveryProfileRequest is the body of POST /discovery/profiles and PUT
// /discovery/profiles/:id (a PUT changes the fields it names; orgId and
// siteId are POST only; version is PUT only; "snmp": null removes SNMP).
type DiscoveryProfileRequest struct {
	OrgID            string          `json:"orgId,omitempty" doc:"POST: optional cross-check of the site's organization."`
	SiteID           string          `json:"siteId,omitempty" doc:"POST: the site the profile scans."`
	Name             *string         `json:"name,omitempty"`
	Targets          *[]string       `json:"targets,omitempty"`
	Exclusions       *[]string       `json:"exclusions,omitempty"`
	Methods          *[]string       `json:"methods,omitempty" doc:"Default icmp, arp, rdns, tcp."`
	Ports            *[]int          `json:"ports,omitempty" doc:"Default 20 common ports."`
	RatePerSecond    *int            `json:"ratePerSecond,omitempty" doc:"Default 200."`
	Concurrency      *int            `json:"concurrency,omitempty" doc:"Default 64."`
	TimeoutSeconds   *int            `json:"timeoutSeconds,omitempty" doc:"Default 1800."`
	ScannerDeviceIDs *[]string       `json:"scannerDeviceIds,omitempty"`
	Split            *bool           `json:"split,omitempty"`
	SNMP             json.RawMessage `json:"snmp,omitempty" doc:"A DiscoverySNMPRequest object, or null to remove."`
	Version          int64           `json:"version,omitempty" doc:"PUT: the version you read."`
}

// DiscoverySettings are an org's discovery rules.
type DiscoverySettings struct {
	OrgID         string     `json:"orgId"`
	AllowedRanges []string   `json:"allowedRanges" doc:"When not empty, every profile target must lie inside these CIDRs or ranges."`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
	Version       int64      `json:"version" doc:"0: never saved."`
}

// DiscoverySettingsRequest is the body of PUT /orgs/:id/discovery-settings.
type DiscoverySettingsRequest struct {
	AllowedRanges []string `json:"allowedRanges"`
	Version       int64    `json:"version" doc:"The version you read (0 the first time)."`
}

// AssetPort is an open TCP port and a guess at its service.
type AssetPort struct {
	Port    int    `json:"port"`
	Service string `json:"service,omitempty"`
}

// Asset is a discovered host. Every text field but the ids came from the
// network: show it as text.
type Asset struct {
	ID         string            `json:"id"`
	PartnerID  string            `json:"partnerId"`
	OrgID      string            `json:"orgId"`
	SiteID     string            `json:"siteId"`
	IP         string            `json:"ip"`
	MAC        string            `json:"mac,omitempty"`
	Hostnames  []string          `json:"hostnames"`
	Vendor     string            `json:"vendor,omitempty" doc:"From the MAC's OUI (IEEE registry)."`
	OpenPorts  []AssetPort       `json:"openPorts"`
	SNMP       map[string]string `json:"snmp" doc:"SNMP facts: sysName, sysDescr, sysObjectID, sysLocation, interfaces (JSON)."`
	Attributes map[string]string `json:"attributes" doc:"Other scanner facts (rttMs, seenBy)."`
	State      string            `json:"state" doc:"candidate, managed, tracked or ignored."`
	DeviceID   string            `json:"deviceId,omitempty" doc:"The enrolled device it matched (MAC or IP)."`
	FirstSeen  time.Time         `json:"firstSeen"`
	LastSeen   time.Time         `json:"lastSeen"`
	Gone       bool              `json:"gone" doc:"A complete scan of its range did not see it."`
	New        bool              `json:"new" doc:"Found first by the latest scan that saw it."`
	LastJobID  string            `json:"lastJobId,omitempty"`
	SeenByJobs []string          `json:"seenByJobs"`
	Version    int64             `json:"version"`
}

// AssetEvent is one change of an asset.
type AssetEvent struct {
	ID      string    `json:"id"`
	AssetID string    `json:"assetId"`
	Kind    string    `json:"kind" doc:"new, gone, back, ports_changed, managed, ignored, unignored, tracked, untracked, deploy."`
	IP      string    `json:"ip"`
	JobID   string    `json:"jobId,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// AssetDeployment is the answer of POST /discovery/assets/:id/deploy.
type AssetDeployment struct {
	EnrollmentKey  string    `json:"enrollmentKey" doc:"A one-use key bound to the asset's site (bek_...). Shown once."`
	KeyID          string    `json:"keyId"`
	ExpiresAt      time.Time `json:"expiresAt"`
	InstallCommand string    `json:"installCommand" doc:"Copy-paste Linux install (run as root on the asset)."`
}

func secretState(v string) *SecretState {
	if v == "" {
		return nil
	}
	return &SecretState{Set: true}
}

func profileOut(p *domain.DiscoveryProfile) DiscoveryProfile {
	methods := make([]string, len(p.Methods))
	for i, m := range p.Methods {
		methods[i] = string(m)
	}
	out := DiscoveryProfile{ID: p.ID, PartnerID: p.PartnerID, OrgID: p.OrgID, SiteID: p.SiteID, Name: p.Name,
		Targets: nonNil(p.Targets), Exclusions: nonNil(p.Exclusions), Methods: methods, Ports: nonNilInts(p.Ports),
		RatePerSecond: p.RatePerSecond, Concurrency: p.Concurrency, TimeoutSeconds: p.TimeoutSeconds,
		ScannerDeviceIDs: nonNil(p.ScannerDeviceIDs), Split: p.Split, Addresses: p.Addresses, CreatedBy: p.CreatedBy,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Version: p.Version}
	if s := p.SNMP; s != nil {
		out.SNMP = &DiscoverySNMP{Version: s.Version, Community: secretState(s.Community), User: s.User,
			AuthProto: s.AuthProto, AuthPass: secretState(s.AuthPass), PrivProto: s.PrivProto,
			PrivPass: secretState(s.PrivPass), Port: s.Port, TimeoutMs: s.TimeoutMs}
	}
	return out
}

// secretIn reads a write-only secret: absent, null or {"set": ...} keep
// the stored one (nil); a string sets it.
func secretIn(field string, raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || raw[0] == '{' {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, domain.Invalidf("snmp.%s is a string (write-only)", field)
	}
	return &s, nil
}

func profileIn(in DiscoveryProfileRequest) (discovery.ProfileInput, error) {
	out := discovery.ProfileInput{OrgID: in.OrgID, SiteID: in.SiteID, Name: in.Name, Targets: in.Targets,
		Exclusions: in.Exclusions, Ports: in.Ports, RatePerSecond: in.RatePerSecond, Concurrency: in.Concurrency,
		TimeoutSeconds: in.TimeoutSeconds, ScannerDeviceIDs: in.ScannerDeviceIDs, Split: in.Split, Version: in.Version}
	if in.Methods != nil {
		ms := make([]domain.DiscoveryMethod, len(*in.Methods))
		for i, m := range *in.Methods {
			ms[i] = domain.DiscoveryMethod(strings.ToLower(strings.TrimSpace(m)))
		}
		out.Methods = &ms
	}
	raw := bytes.TrimSpace(in.SNMP)
	switch {
	case len(raw) == 0:
	case string(raw) == "null":
		out.ClearSNMP = true
	default:
		var s DiscoverySNMPRequest
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return out, domain.Invalidf("snmp must be an object {version, community | user, authProto, authPass, privProto, privPass, port, timeoutMs}")
		}
		si := discovery.SNMPInput{Version: s.Version, User: s.User, AuthProto: s.AuthProto, PrivProto: s.PrivProto,
			Port: s.Port, TimeoutMs: s.TimeoutMs}
		var err error
		if si.Community, err = secretIn("community", s.Community); err != nil {
			return out, err
		}
		if si.AuthPass, err = secretIn("authPass", s.AuthPass); err != nil {
			return out, err
		}
		if si.PrivPass, err = secretIn("privPass", s.PrivPass); err != nil {
			return out, err
		}
		out.SNMP = &si
	}
	return out, nil
}

func settingsOut(s *domain.DiscoverySettings) DiscoverySettings {
	return DiscoverySettings{OrgID: s.OrgID, AllowedRanges: nonNil(s.AllowedRanges), UpdatedAt: optTime(s.UpdatedAt),
		Version: s.Version}
}

func assetOut(a *domain.Asset) Asset {
	out := Asset{ID: a.ID, PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, IP: a.IP, MAC: a.MAC,
		Hostnames: nonNil(a.Hostnames), Vendor: a.Vendor, OpenPorts: make([]AssetPort, len(a.OpenPorts)),
		SNMP: map[string]string{}, Attributes: map[string]string{}, State: string(a.State), DeviceID: a.DeviceID,
		FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC(), Gone: a.Gone, New: a.New(), LastJobID: a.LastJobID,
		SeenByJobs: nonNil(a.SeenByJobs), Version: a.Version}
	for i, p := range a.OpenPorts {
		out.OpenPorts[i] = AssetPort{Port: p.Port, Service: p.Service}
	}
	for k, v := range a.Attributes {
		if name, ok := strings.CutPrefix(k, "snmp."); ok {
			out.SNMP[name] = v
		} else {
			out.Attributes[k] = v
		}
	}
	return out
}

func assetEventOut(e *domain.AssetEvent) AssetEvent {
	return AssetEvent{ID: e.ID, AssetID: e.AssetID, Kind: string(e.Kind), IP: e.IP, JobID: e.JobID, Detail: e.Detail,
		At: e.At.UTC()}
}

func nonNilInts(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}
