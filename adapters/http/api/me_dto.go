package api

import (
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Me is the caller: their user, grants and effective permissions.
type Me struct {
	User           User     `json:"user"`
	Kind           string   `json:"kind" enum:"user,api_key" doc:"How the caller authenticated."`
	APIKeyID       string   `json:"apiKeyId,omitempty"`
	Grants         []Grant  `json:"grants"`
	Permissions    []string `json:"permissions" doc:"Every permission the caller holds somewhere."`
	MustEnrollTOTP bool     `json:"mustEnrollTotp"`
}

// Grant is one of the caller's role grants with the role's name.
type Grant struct {
	ID          string   `json:"id,omitempty" doc:"The role assignment; absent for an API key's own grant."`
	RoleID      string   `json:"roleId,omitempty"`
	RoleName    string   `json:"roleName,omitempty"`
	Level       string   `json:"level" enum:"global,partner,org,site"`
	PartnerID   string   `json:"partnerId,omitempty"`
	OrgID       string   `json:"orgId,omitempty"`
	SiteID      string   `json:"siteId,omitempty"`
	Permissions []string `json:"permissions"`
}

// PermissionInfo is one entry of the permission registry.
type PermissionInfo struct {
	Name     string `json:"name" doc:"resource:action"`
	Resource string `json:"resource"`
	Action   string `json:"action"`
}

func grantOut(g domain.Grant, roleName string) Grant {
	a := g.Assignment
	return Grant{ID: a.ID, RoleID: a.RoleID, RoleName: roleName, Level: string(a.Level()),
		PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, Permissions: append([]string{}, g.Permissions...)}
}

func permissionOut(p domain.Permission) PermissionInfo {
	res, act, _ := strings.Cut(p, ":")
	return PermissionInfo{Name: p, Resource: res, Action: act}
}
