package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// User is a person who signs in. The password hash and the second-factor
// secret never leave the server.
type User struct {
	ID          string     `json:"id"`
	PartnerID   string     `json:"partnerId"`
	OrgID       string     `json:"orgId,omitempty" doc:"Set for a customer's own staff."`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Status      string     `json:"status" enum:"active,disabled"`
	TOTPEnabled bool       `json:"totpEnabled"`
	LastLoginAt *time.Time `json:"lastLoginAt,omitempty"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

// CreateUserRequest is the body of POST /users. The user holds no role until
// a role assignment grants one.
type CreateUserRequest struct {
	PartnerID string `json:"partnerId,omitempty" doc:"Default: the caller's partner."`
	OrgID     string `json:"orgId,omitempty" doc:"Makes the user one of this customer's own staff."`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Password  string `json:"password" doc:"At least 12 characters."`
}

// UpdateUserRequest is the body of PATCH /users/:id. Disabling a user or
// setting a password ends all of the user's sessions.
type UpdateUserRequest struct {
	Email    *string `json:"email,omitempty"`
	Name     *string `json:"name,omitempty"`
	Status   *string `json:"status,omitempty" enum:"active,disabled"`
	Password *string `json:"password,omitempty"`
	Version  int64   `json:"version" doc:"The version you read; a stale one answers 409."`
}

func userOut(u *domain.User) User {
	return User{
		ID: u.ID, PartnerID: u.PartnerID, OrgID: u.OrgID, Email: u.Email, Name: u.Name,
		Status: string(u.Status), TOTPEnabled: u.TOTPEnabled(), LastLoginAt: optTime(u.LastLoginAt),
		Version: u.Version, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
}

func (u User) resourceID() string { return u.ID }
