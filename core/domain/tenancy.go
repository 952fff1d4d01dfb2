package domain

import (
	"strings"
	"time"
)

// Partner is an MSP: the top of the tenant hierarchy.
type Partner struct {
	ID   string
	Name string // unique across partners
	// RequireTOTP makes every user of the partner enrol a second factor
	// before doing anything else.
	RequireTOTP bool
	// RequireMTLS refuses the agent link of the partner's devices without a
	// valid client certificate of the device (besides its token).
	RequireMTLS bool
	Version     int64 // optimistic concurrency: Update must carry the version it read
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Organization is one customer of a partner.
type Organization struct {
	ID        string
	PartnerID string
	Name      string // unique within the partner
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Site is a location of an organization.
type Site struct {
	ID        string
	PartnerID string // denormalised from the org, for scoping
	OrgID     string
	Name      string // unique within the org
	Timezone  string // IANA name; empty means UTC
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DeviceGroup groups devices of an org, optionally inside one site.
type DeviceGroup struct {
	ID        string
	PartnerID string
	OrgID     string
	SiteID    string // empty: an org-wide group
	Name      string // unique within (org, site)
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Device is one managed machine running the agent.
type Device struct {
	ID           string
	PartnerID    string
	OrgID        string
	SiteID       string
	GroupID      string // empty: in no group
	Hostname     string
	OS           string // linux, windows, darwin, ...
	Arch         string // amd64, arm64, ...
	Status       DeviceStatus
	LastSeenAt   time.Time // zero: never seen
	AgentVersion string
	Kind         DeviceKind // agent (default) or network; set at creation only
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// DeviceKind says whether a device runs the agent or is a tracked network
// host its site's agents watch (no agent: no remote work).
type DeviceKind string

const (
	DeviceKindAgent   DeviceKind = "agent"
	DeviceKindNetwork DeviceKind = "network"
)

// IsNetwork reports whether d is a tracked network device (no agent).
func (d *Device) IsNetwork() bool { return d != nil && d.Kind == DeviceKindNetwork }

// NetworkDeviceError is the refusal of remote work on a network device.
func NetworkDeviceError(d *Device) error {
	return Invalidf("%s is a network device: it has no agent", d.Hostname)
}

// DeviceStatus is the presence state of a device.
type DeviceStatus string

const (
	DeviceOnline         DeviceStatus = "online"
	DeviceOffline        DeviceStatus = "offline"
	DevicePending        DeviceStatus = "pending"
	DeviceDecommissioned DeviceStatus = "decommissioned"
)

// Valid reports whether s is a known status.
func (s DeviceStatus) Valid() bool {
	switch s {
	case DeviceOnline, DeviceOffline, DevicePending, DeviceDecommissioned:
		return true
	}
	return false
}

// maxNameLen bounds every display name; longer input is a caller error.
const maxNameLen = 200

// ValidateName checks a display name: non-blank, at most 200 characters, no
// control characters.
func ValidateName(what, name string) error {
	if strings.TrimSpace(name) == "" {
		return Invalidf("%s name is required", what)
	}
	if len([]rune(name)) > maxNameLen {
		return Invalidf("%s name is longer than %d characters", what, maxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Invalidf("%s name contains a control character", what)
		}
	}
	return nil
}

// Validate checks the fields a caller supplies for a partner.
func (p *Partner) Validate() error { return ValidateName("partner", p.Name) }

// Validate checks the fields a caller supplies for an organization.
func (o *Organization) Validate() error { return ValidateName("organization", o.Name) }

// Validate checks the fields a caller supplies for a site.
func (s *Site) Validate() error {
	if err := ValidateName("site", s.Name); err != nil {
		return err
	}
	if len(s.Timezone) > 64 {
		return Invalidf("site timezone is too long")
	}
	return nil
}

// Validate checks the fields a caller supplies for a device group.
func (g *DeviceGroup) Validate() error { return ValidateName("device group", g.Name) }

// Validate checks the fields a caller supplies for a device.
func (d *Device) Validate() error {
	if err := ValidateName("device host", d.Hostname); err != nil {
		return err
	}
	if d.Status == "" {
		d.Status = DevicePending
	}
	if !d.Status.Valid() {
		return Invalidf("unknown device status %q", d.Status)
	}
	if len(d.OS) > 32 || len(d.Arch) > 32 || len(d.AgentVersion) > 64 {
		return Invalidf("device os, arch or agent version is too long")
	}
	return nil
}
