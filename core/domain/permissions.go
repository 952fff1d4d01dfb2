package domain

import "sort"

// Permission is "resource:action". The registry below is the whole set: a
// role or an API key naming anything else is ErrInvalid.
type Permission = string

// The permission registry.
const (
	PermPartnersRead   Permission = "partners:read"
	PermPartnersWrite  Permission = "partners:write"
	PermOrgsRead       Permission = "orgs:read"
	PermOrgsWrite      Permission = "orgs:write"
	PermSitesRead      Permission = "sites:read"
	PermSitesWrite     Permission = "sites:write"
	PermGroupsRead     Permission = "device-groups:read"
	PermGroupsWrite    Permission = "device-groups:write"
	PermDevicesRead    Permission = "devices:read"
	PermDevicesWrite   Permission = "devices:write"
	PermDevicesExecute Permission = "devices:execute"
	PermRemoteAccess   Permission = "remote:access"
	PermScriptsRead    Permission = "scripts:read"
	PermScriptsWrite   Permission = "scripts:write"
	PermAlertsRead     Permission = "alerts:read"
	PermAlertsAck      Permission = "alerts:acknowledge"
	// PermAlertsWrite manages alert rules (what is monitored and how
	// loudly): admins hold it, technicians act on alerts only.
	PermAlertsWrite   Permission = "alerts:write"
	PermUsersRead     Permission = "users:read"
	PermUsersWrite    Permission = "users:write"
	PermRolesRead     Permission = "roles:read"
	PermRolesWrite    Permission = "roles:write"
	PermAPIKeysRead   Permission = "api-keys:read"
	PermAPIKeysWrite  Permission = "api-keys:write"
	PermEnrollWrite   Permission = "enrollment-keys:write"
	PermAuditRead     Permission = "audit:read"
	PermPluginsManage Permission = "plugins:manage"
	// Discovery: reading what scans found, and managing profiles, running
	// scans and acting on discovered assets (scanning a network is active).
	PermDiscoveryRead   Permission = "discovery:read"
	PermDiscoveryManage Permission = "discovery:manage"
)

var allPermissions = []Permission{
	PermPartnersRead, PermPartnersWrite, PermOrgsRead, PermOrgsWrite, PermSitesRead, PermSitesWrite,
	PermGroupsRead, PermGroupsWrite, PermDevicesRead, PermDevicesWrite, PermDevicesExecute,
	PermRemoteAccess, PermScriptsRead, PermScriptsWrite, PermAlertsRead, PermAlertsAck, PermAlertsWrite,
	PermUsersRead, PermUsersWrite, PermRolesRead, PermRolesWrite, PermAPIKeysRead, PermAPIKeysWrite,
	PermEnrollWrite, PermAuditRead, PermPluginsManage, PermDiscoveryRead, PermDiscoveryManage,
}

// AllPermissions returns the registry, sorted.
func AllPermissions() []Permission {
	out := append([]Permission(nil), allPermissions...)
	sort.Strings(out)
	return out
}

// KnownPermission reports whether p is in the registry.
func KnownPermission(p Permission) bool { return contains(allPermissions, p) }

// ValidatePermissions checks a permission list: known, no duplicates.
// It returns the list sorted.
func ValidatePermissions(perms []Permission) ([]Permission, error) {
	seen := map[Permission]bool{}
	out := make([]Permission, 0, len(perms))
	for _, p := range perms {
		if !KnownPermission(p) {
			return nil, Invalidf("unknown permission %q", p)
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}
