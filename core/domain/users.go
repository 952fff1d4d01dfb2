package domain

import (
	"net/mail"
	"strings"
	"time"
)

// User is a person who signs in to the dashboard or the API.
type User struct {
	ID           string
	PartnerID    string // the MSP the user belongs to
	OrgID        string // set for a customer's own staff; empty for the MSP's
	Email        string // unique, stored lower-case
	Name         string
	Status       UserStatus
	PasswordHash string // argon2id PHC string; never leaves the server
	TOTPSecret   string // base32; empty when no second factor is enrolled
	TOTPLastStep int64  // last accepted TOTP step, to refuse a replayed code
	LastLoginAt  time.Time
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserStatus says whether a user may sign in.
type UserStatus string

const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// TOTPEnabled reports whether the user has a second factor.
func (u *User) TOTPEnabled() bool { return u.TOTPSecret != "" }

// NormalizeEmail lower-cases and trims an address and checks its form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" || len(e) > 254 {
		return "", Invalidf("email is required and at most 254 characters")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", Invalidf("%q is not an email address", email)
	}
	return e, nil
}

// Validate checks a user's fields and normalises the email.
func (u *User) Validate() error {
	e, err := NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = e
	if err := ValidateName("user", u.Name); err != nil {
		return err
	}
	if u.Status == "" {
		u.Status = UserActive
	}
	if u.Status != UserActive && u.Status != UserDisabled {
		return Invalidf("unknown user status %q", u.Status)
	}
	return nil
}
