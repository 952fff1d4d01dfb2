package domain

import "time"

// RoleAssignment grants a role to a user at one scope unit: a partner, an
// org, or a site. A grant with no partner is global (the platform owner).
type RoleAssignment struct {
	ID        string
	UserID    string
	RoleID    string
	PartnerID string
	OrgID     string // set for an org or site grant
	SiteID    string // set for a site grant
	CreatedBy string // user id of the granter
	CreatedAt time.Time
}

// Level names the scope unit of a grant.
type Level string

const (
	LevelGlobal  Level = "global"
	LevelPartner Level = "partner"
	LevelOrg     Level = "org"
	LevelSite    Level = "site"
)

// Level returns the unit the grant applies to.
func (a *RoleAssignment) Level() Level {
	switch {
	case a.SiteID != "":
		return LevelSite
	case a.OrgID != "":
		return LevelOrg
	case a.PartnerID != "":
		return LevelPartner
	}
	return LevelGlobal
}

// Unit returns the scope that the grant's unit alone covers.
func (a *RoleAssignment) Unit() Scope {
	switch a.Level() {
	case LevelSite:
		return Scope{SiteIDs: []string{a.SiteID}}
	case LevelOrg:
		return Scope{OrgIDs: []string{a.OrgID}}
	case LevelPartner:
		return Scope{PartnerIDs: []string{a.PartnerID}}
	}
	return Scope{Global: true}
}

// Grant is an assignment with its role's permissions, as a principal uses it.
type Grant struct {
	Assignment  RoleAssignment
	Permissions []Permission
}
