package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Site is a location of an organization.
type Site struct {
	ID        string    `json:"id"`
	PartnerID string    `json:"partnerId"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	Timezone  string    `json:"timezone" doc:"IANA time zone name; empty means UTC."`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CreateSiteRequest is the body of POST /sites.
type CreateSiteRequest struct {
	OrgID    string `json:"orgId"`
	Name     string `json:"name"`
	Timezone string `json:"timezone,omitempty"`
}

// UpdateSiteRequest is the body of PATCH /sites/:id.
type UpdateSiteRequest struct {
	Name     *string `json:"name,omitempty"`
	Timezone *string `json:"timezone,omitempty"`
	Version  int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

func siteOut(s *domain.Site) Site {
	return Site{ID: s.ID, PartnerID: s.PartnerID, OrgID: s.OrgID, Name: s.Name, Timezone: s.Timezone,
		Version: s.Version, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

func (s Site) resourceID() string { return s.ID }
