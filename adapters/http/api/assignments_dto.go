package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// RoleAssignment grants a role to a user at a partner, an organization or a site.
type RoleAssignment struct {
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	RoleID    string    `json:"roleId"`
	Level     string    `json:"level" enum:"global,partner,org,site"`
	PartnerID string    `json:"partnerId,omitempty"`
	OrgID     string    `json:"orgId,omitempty"`
	SiteID    string    `json:"siteId,omitempty"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreateRoleAssignmentRequest is the body of POST /role-assignments. The
// most specific of siteId, orgId, partnerId names the unit (default: the
// caller's partner); the caller must hold every permission of the role there.
type CreateRoleAssignmentRequest struct {
	UserID    string `json:"userId"`
	RoleID    string `json:"roleId"`
	PartnerID string `json:"partnerId,omitempty"`
	OrgID     string `json:"orgId,omitempty"`
	SiteID    string `json:"siteId,omitempty"`
}

func assignmentOut(a *domain.RoleAssignment) RoleAssignment {
	return RoleAssignment{ID: a.ID, UserID: a.UserID, RoleID: a.RoleID, Level: string(a.Level()),
		PartnerID: a.PartnerID, OrgID: a.OrgID, SiteID: a.SiteID, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC()}
}

func (a RoleAssignment) resourceID() string { return a.ID }
