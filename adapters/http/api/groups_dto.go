package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// DeviceGroup groups devices of an organization, optionally within one site.
type DeviceGroup struct {
	ID        string    `json:"id"`
	PartnerID string    `json:"partnerId"`
	OrgID     string    `json:"orgId"`
	SiteID    string    `json:"siteId,omitempty" doc:"Absent for an organization-wide group."`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CreateDeviceGroupRequest is the body of POST /device-groups: a siteId makes
// a group of that site, an orgId alone an organization-wide group.
type CreateDeviceGroupRequest struct {
	OrgID  string `json:"orgId,omitempty"`
	SiteID string `json:"siteId,omitempty"`
	Name   string `json:"name"`
}

// UpdateDeviceGroupRequest is the body of PATCH /device-groups/:id.
type UpdateDeviceGroupRequest struct {
	Name    *string `json:"name,omitempty"`
	Version int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

func groupOut(g *domain.DeviceGroup) DeviceGroup {
	return DeviceGroup{ID: g.ID, PartnerID: g.PartnerID, OrgID: g.OrgID, SiteID: g.SiteID, Name: g.Name,
		Version: g.Version, CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC()}
}

func (g DeviceGroup) resourceID() string { return g.ID }
