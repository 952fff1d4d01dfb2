package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Partner is an MSP as the API shows it.
type Partner struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	RequireTOTP bool      `json:"requireTotp" doc:"Every user of the partner must enrol a second factor."`
	RequireMTLS bool      `json:"requireMtls" doc:"Agent links of the partner's devices need a valid client certificate of the device besides the token."`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// CreatePartnerRequest is the body of POST /partners.
type CreatePartnerRequest struct {
	Name        string `json:"name"`
	RequireTOTP bool   `json:"requireTotp,omitempty"`
	RequireMTLS bool   `json:"requireMtls,omitempty"`
}

// UpdatePartnerRequest is the body of PATCH /partners/:id; absent fields stay.
type UpdatePartnerRequest struct {
	Name        *string `json:"name,omitempty"`
	RequireTOTP *bool   `json:"requireTotp,omitempty"`
	RequireMTLS *bool   `json:"requireMtls,omitempty"`
	Version     int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

func partnerOut(p *domain.Partner) Partner {
	return Partner{ID: p.ID, Name: p.Name, RequireTOTP: p.RequireTOTP, RequireMTLS: p.RequireMTLS, Version: p.Version,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func (p Partner) resourceID() string { return p.ID }
