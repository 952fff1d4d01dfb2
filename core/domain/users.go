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
	// TOTPSecret is the second factor's secret, sealed (AES-256-GCM, bound
	// to the user) by core/app/auth; empty when no second factor is
	// enrolled. A base32 value is a clear secret stored before sealing.
	TOTPSecret   string
	TOTPLastStep int64 // last accepted TOTP step, to refuse a replayed code
	// TOTPPending is the sealed secret of an enrolment begun and not yet
	// confirmed: the server made it, the client only proves it with a code.
	TOTPPending string
	LastLoginAt time.Time
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
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

// MinPasswordLen follows NIST 800-63B's advice of length over composition rules.
const MinPasswordLen = 12

// CheckPassword applies the password policy.
func CheckPassword(pw string) error {
	if len([]rune(pw)) < MinPasswordLen {
		return Invalidf("password must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > 1024 {
		return Invalidf("password must be at most 1024 bytes")
	}
	return nil
}
