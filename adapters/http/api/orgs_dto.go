package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Org is an organization (a customer of a partner).
type Org struct {
	ID        string    `json:"id"`
	PartnerID string    `json:"partnerId"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CreateOrgRequest is the body of POST /orgs.
type CreateOrgRequest struct {
	PartnerID string `json:"partnerId,omitempty" doc:"Default: the caller's partner."`
	Name      string `json:"name"`
}

// UpdateOrgRequest is the body of PATCH /orgs/:id.
type UpdateOrgRequest struct {
	Name    *string `json:"name,omitempty"`
	Version int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

func orgOut(o *domain.Organization) Org {
	return Org{ID: o.ID, PartnerID: o.PartnerID, Name: o.Name, Version: o.Version,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

func (o Org) resourceID() string { return o.ID }
