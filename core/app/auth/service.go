// Package auth signs users in, rotates refresh tokens, and turns a bearer
// credential (an access token or an API key) into the request's principal.
package auth

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Store is what the service needs from storage.
type Store interface {
	ports.IdentityStore
	Partners() ports.PartnerStore
}

// Limits are the sign-in rate limits.
type Limits struct {
	PerAccount ports.Limit // attempts per email: the brute-force lockout
	PerIP      ports.Limit // attempts per client address
}

// Deps are the service's collaborators and settings.
type Deps struct {
	Store   Store
	Tokens  ports.AccessTokens
	Hasher  ports.PasswordHasher
	TOTP    ports.TOTP
	Limiter ports.RateLimiter
	Clock   ports.Clock

	Limits     Limits        // default: 10 per account and 100 per IP per 15 minutes
	RefreshTTL time.Duration // default 30 days
	// ReuseGrace: a refresh token presented again this soon after it was
	// spent is a race between two tabs, not a theft: refused without
	// revoking the family. Default 10 s.
	ReuseGrace time.Duration
}

// Service implements sign-in, refresh, logout and authentication.
type Service struct {
	d           Deps
	revocations domain.Revocations // nil: nobody listens
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Tokens == nil || d.Hasher == nil || d.TOTP == nil || d.Limiter == nil {
		return nil, domain.Invalidf("auth: Store, Tokens, Hasher, TOTP and Limiter are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Limits.PerAccount.N == 0 {
		d.Limits.PerAccount = ports.Limit{N: 10, Window: 15 * time.Minute}
	}
	if d.Limits.PerIP.N == 0 {
		d.Limits.PerIP = ports.Limit{N: 100, Window: 15 * time.Minute}
	}
	if d.RefreshTTL == 0 {
		d.RefreshTTL = 30 * 24 * time.Hour
	}
	if d.ReuseGrace == 0 {
		d.ReuseGrace = 10 * time.Second
	}
	return &Service{d: d}, nil
}

// Session is what a sign-in or a refresh hands back.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time // of the access token
	User         *domain.User
	// MustEnrollTOTP: the partner requires a second factor the user lacks;
	// only enrolment, /me and logout are open until it is done.
	MustEnrollTOTP bool
}

// ExpiresIn is the access token's lifetime in seconds from now.
func (s *Session) ExpiresIn(now time.Time) int64 { return int64(s.ExpiresAt.Sub(now).Seconds()) }

// Client describes where a request came from, for limits and audit.
type Client struct {
	IP        string
	UserAgent string
}
