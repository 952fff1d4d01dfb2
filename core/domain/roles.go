package domain

import "time"

// Role is a named set of permissions. Built-in roles (PartnerID empty) are
// seeded by the migrations and cannot change; partners add custom roles.
type Role struct {
	ID          string
	PartnerID   string // empty: built in, visible to everyone
	Name        string // unique within the partner (built-in names are reserved)
	Description string
	Permissions []Permission // sorted, validated
	BuiltIn     bool
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Validate checks a custom role's fields and normalises its permissions.
func (r *Role) Validate() error {
	if err := ValidateName("role", r.Name); err != nil {
		return err
	}
	if len(r.Description) > 1000 {
		return Invalidf("role description is longer than 1000 characters")
	}
	perms, err := ValidatePermissions(r.Permissions)
	if err != nil {
		return err
	}
	r.Permissions = perms
	return nil
}

// Built-in role ids are fixed so migrations, seeds and tests agree.
const (
	RolePlatformAdmin     = "00000000-0000-7000-8000-000000000001"
	RolePartnerAdmin      = "00000000-0000-7000-8000-000000000002"
	RolePartnerTechnician = "00000000-0000-7000-8000-000000000003"
	RolePartnerViewer     = "00000000-0000-7000-8000-000000000004"
	RoleOrgAdmin          = "00000000-0000-7000-8000-000000000005"
	RoleOrgTechnician     = "00000000-0000-7000-8000-000000000006"
	RoleOrgViewer         = "00000000-0000-7000-8000-000000000007"
)

var readAll = []Permission{
	PermOrgsRead, PermSitesRead, PermGroupsRead, PermDevicesRead, PermScriptsRead, PermAlertsRead, PermDiscoveryRead,
}

var technician = append(append([]Permission{}, readAll...),
	PermDevicesWrite, PermDevicesExecute, PermRemoteAccess, PermScriptsWrite, PermAlertsAck, PermEnrollWrite, PermDiscoveryManage)

func without(perms []Permission, drop ...Permission) []Permission {
	var out []Permission
	for _, p := range perms {
		if !contains(drop, p) {
			out = append(out, p)
		}
	}
	return out
}

// BuiltInRoles are the seeded roles of docs/architecture.md §4. The migrations insert them;
// this list is the source the seed and the tests compare against.
func BuiltInRoles() []Role {
	all := AllPermissions()
	mk := func(id, name, desc string, perms []Permission) Role {
		p, _ := ValidatePermissions(perms)
		return Role{ID: id, Name: name, Description: desc, Permissions: p, BuiltIn: true, Version: 1}
	}
	orgAdmin := without(all, PermPartnersRead, PermPartnersWrite, PermPluginsManage)
	return []Role{
		mk(RolePlatformAdmin, "Platform Admin", "Operates the Breeze installation: every partner and permission.", all),
		// partners:write lets a Partner Admin rename its own partner and
		// require a second factor; creating partners needs the global scope.
		mk(RolePartnerAdmin, "Partner Admin", "Runs an MSP: customers, sites, technicians, roles, plugins.", all),
		mk(RolePartnerTechnician, "Partner Technician", "Works on every customer's devices: commands, scripts, terminal.",
			append(append([]Permission{}, technician...), PermPartnersRead, PermUsersRead, PermRolesRead)),
		mk(RolePartnerViewer, "Partner Viewer", "Reads every customer's devices and alerts.",
			append(append([]Permission{}, readAll...), PermPartnersRead)),
		mk(RoleOrgAdmin, "Org Admin", "Runs one customer: its sites, devices, users and keys.", orgAdmin),
		mk(RoleOrgTechnician, "Org Technician", "Works on one customer's devices: commands, scripts, terminal.", technician),
		mk(RoleOrgViewer, "Org Viewer", "Reads one customer's devices and alerts.", readAll),
	}
}
