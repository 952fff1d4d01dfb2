package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// APIKey is a program's credential, acting for its owner within its unit
// and permissions. Only its prefix is ever shown again after creation.
type APIKey struct {
	ID          string     `json:"id"`
	UserID      string     `json:"userId" doc:"The owner; the key never holds more than the owner does."`
	PartnerID   string     `json:"partnerId"`
	OrgID       string     `json:"orgId,omitempty"`
	SiteID      string     `json:"siteId,omitempty"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix" doc:"The first characters of the key, to recognise it."`
	Permissions []string   `json:"permissions"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
}

// CreateAPIKeyRequest is the body of POST /api-keys. The most specific of
// siteId, orgId, partnerId is the key's unit (default: the caller's partner).
type CreateAPIKeyRequest struct {
	Name        string     `json:"name"`
	PartnerID   string     `json:"partnerId,omitempty"`
	OrgID       string     `json:"orgId,omitempty"`
	SiteID      string     `json:"siteId,omitempty"`
	Permissions []string   `json:"permissions"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
}

// CreatedAPIKey is the answer of POST /api-keys: the key and, this once, its secret.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key" doc:"The secret (bzk_...). Shown once: store it now."`
}

func apiKeyOut(k *domain.APIKey) APIKey {
	return APIKey{
		ID: k.ID, UserID: k.UserID, PartnerID: k.PartnerID, OrgID: k.OrgID, SiteID: k.SiteID, Name: k.Name,
		Prefix: k.Prefix, Permissions: append([]string{}, k.Permissions...), ExpiresAt: optTime(k.ExpiresAt),
		LastUsedAt: optTime(k.LastUsedAt), RevokedAt: optTime(k.RevokedAt), CreatedAt: k.CreatedAt.UTC(),
	}
}
