package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Role is a named set of permissions: built in, or a partner's custom role.
type Role struct {
	ID          string    `json:"id"`
	PartnerID   string    `json:"partnerId,omitempty" doc:"Absent for built-in roles."`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	BuiltIn     bool      `json:"builtIn"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// CreateRoleRequest is the body of POST /roles. The caller must hold every
// permission of the role over the whole partner.
type CreateRoleRequest struct {
	PartnerID   string   `json:"partnerId,omitempty" doc:"Default: the caller's partner."`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// UpdateRoleRequest is the body of PATCH /roles/:id (custom roles only).
type UpdateRoleRequest struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
	Version     int64     `json:"version" doc:"The version you read; a stale one answers 409."`
}

func roleOut(r *domain.Role) Role {
	perms := append([]string{}, r.Permissions...)
	return Role{ID: r.ID, PartnerID: r.PartnerID, Name: r.Name, Description: r.Description, Permissions: perms,
		BuiltIn: r.BuiltIn, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r Role) resourceID() string { return r.ID }
