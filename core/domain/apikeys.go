package domain

import "time"

// APIKey lets a program call the API as its owner, narrowed to a unit and a
// permission list. The secret is shown once; only its SHA-256 is kept.
type APIKey struct {
	ID          string
	UserID      string // the owner; the key never holds more than the owner does now
	PartnerID   string // the key's unit (partner, org or site)
	OrgID       string
	SiteID      string
	Name        string
	Prefix      string // "bzk_" plus the first characters of the secret, to recognise it
	SecretHash  string // hex SHA-256 of the whole key
	Permissions []Permission
	ExpiresAt   time.Time // zero: never
	LastUsedAt  time.Time
	RevokedAt   time.Time
	CreatedAt   time.Time
}

// Unit returns the key's scope unit.
func (k *APIKey) Unit() Unit { return Unit{PartnerID: k.PartnerID, OrgID: k.OrgID, SiteID: k.SiteID} }

// Usable reports whether the key may authenticate at now.
func (k *APIKey) Usable(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// RefreshToken is one link of a refresh-token family (one sign-in session).
// Each use spends it and creates its successor; presenting a spent one is a
// replay and revokes the whole family.
type RefreshToken struct {
	ID           string
	FamilyID     string
	UserID       string
	TokenHash    string // hex SHA-256 of the opaque token
	ExpiresAt    time.Time
	UsedAt       time.Time // zero while unspent
	ReplacedByID string
	RevokedAt    time.Time
	IP           string
	UserAgent    string
	CreatedAt    time.Time
}
