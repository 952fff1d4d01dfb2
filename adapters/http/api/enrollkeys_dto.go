package api

import (
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// EnrollmentKey lets agents enroll into a site (and optionally a device
// group). Only its prefix is ever shown again after creation.
type EnrollmentKey struct {
	ID            string     `json:"id"`
	PartnerID     string     `json:"partnerId"`
	OrgID         string     `json:"orgId"`
	SiteID        string     `json:"siteId"`
	DeviceGroupID string     `json:"deviceGroupId,omitempty" doc:"Enrolled devices join this group."`
	Name          string     `json:"name"`
	Prefix        string     `json:"prefix" doc:"The first characters of the key, to recognise it."`
	ExpiresAt     time.Time  `json:"expiresAt"`
	MaxUses       int        `json:"maxUses" doc:"0: unlimited."`
	Uses          int        `json:"uses"`
	Usable        bool       `json:"usable" doc:"Not expired, used up or revoked."`
	RevokedAt     *time.Time `json:"revokedAt,omitempty"`
	CreatedBy     string     `json:"createdBy,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
}

// CreateEnrollmentKeyRequest is the body of POST /enrollment-keys.
type CreateEnrollmentKeyRequest struct {
	OrgID         string     `json:"orgId,omitempty" doc:"Optional cross-check: the site's organization."`
	SiteID        string     `json:"siteId"`
	DeviceGroupID string     `json:"deviceGroupId,omitempty"`
	Name          string     `json:"name,omitempty" doc:"Default: \"Enrollment key for <site>\"."`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty" doc:"Default: 7 days from now; at most 366 days."`
	MaxUses       *int       `json:"maxUses,omitempty" doc:"How many devices may enroll with it; absent: 50; 0: unlimited."`
}

// CreatedEnrollmentKey is the answer of POST /enrollment-keys: the key and,
// this once, its secret and a ready install command.
type CreatedEnrollmentKey struct {
	EnrollmentKey
	Key            string `json:"key" doc:"The secret (bek_...). Shown once: store it now."`
	InstallCommand string `json:"installCommand,omitempty" doc:"Copy-paste Linux install (run as root): downloads the agent, enrolls it with this key and installs the service."`
}

func enrollKeyOut(now time.Time) func(k *domain.EnrollmentKey) EnrollmentKey {
	return func(k *domain.EnrollmentKey) EnrollmentKey {
		return EnrollmentKey{
			ID: k.ID, PartnerID: k.PartnerID, OrgID: k.OrgID, SiteID: k.SiteID, DeviceGroupID: k.GroupID,
			Name: k.Name, Prefix: k.Prefix, ExpiresAt: k.ExpiresAt.UTC(), MaxUses: k.MaxUses, Uses: k.Uses,
			Usable: k.Usable(now), RevokedAt: optTime(k.RevokedAt), CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt.UTC(),
		}
	}
}

// shellQuote quotes s for a POSIX shell: inside single quotes nothing is
// special, and a single quote is closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// installCommand is the copy-paste Linux install for key: it fetches the
// agent for this machine's architecture from publicURL, enrolls with the
// key passed in the environment (never on the command line, where the
// process list would show it) and installs the service.
func installCommand(publicURL, key string) string {
	if publicURL == "" {
		return ""
	}
	const bin = "/usr/local/bin/breeze-agent"
	return "curl -fsSL " + shellQuote(publicURL+"/downloads/breeze-agent-linux-") +
		`"$(uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')"` +
		" -o " + bin + " && chmod 755 " + bin +
		" && BREEZE_ENROLLMENT_KEY=" + shellQuote(key) + " " + bin + " enroll --server " + shellQuote(publicURL) +
		" && " + bin + " install"
}
