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

// Limits are the sign-in rate limits. They count every attempt to prove a
// password or a second-factor code (sign-in, factor replacement, password
// change); a success forgets the account's counts for that address.
type Limits struct {
	// PerAccountIP are growing tiers for one account from one client
	// address, each N attempts per Window: the first full tier blocks until
	// its oldest attempt leaves the window, so the wait grows with the
	// failures (default 5 per minute, 10 per 15 minutes, 20 per hour, 50
	// per day). Keyed by account and address, so a guesser elsewhere never
	// locks the owner out.
	PerAccountIP []ports.Limit
	PerIP        ports.Limit // attempts per client address, any account
}

// Sealer seals second-factor secrets at rest (adapters/secretbox); aad
// binds a sealed value to its user.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// Deps are the service's collaborators and settings.
type Deps struct {
	Store   Store
	Tokens  ports.AccessTokens
	Hasher  ports.PasswordHasher
	TOTP    ports.TOTP
	Limiter ports.RateLimiter
	Sealer  Sealer
	Clock   ports.Clock
	// Revocations hears about ended sessions and users (the remote-work
	// side ends their terminals and event streams on every node); nil:
	// nobody listens.
	Revocations domain.Revocations
	// Principals keeps principals built for credentials for a few seconds
	// (see DefaultPrincipalTTL); nil: every request reads the store. Give
	// Revocations a ForgetFirst on the same cache, so this node's changes
	// drop its entries before the answer.
	Principals *PrincipalCache

	Limits     Limits        // default: see Limits; 100 per IP per 15 minutes
	RefreshTTL time.Duration // default 30 days
	// ReuseGrace: a refresh token presented again this soon after it was
	// spent is a race between two tabs, not a theft: refused without
	// revoking the family. Default 10 s.
	ReuseGrace time.Duration
}

// Service implements sign-in, refresh, logout and authentication.
type Service struct {
	d Deps
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Tokens == nil || d.Hasher == nil || d.TOTP == nil || d.Limiter == nil || d.Sealer == nil {
		return nil, domain.Invalidf("auth: Store, Tokens, Hasher, TOTP, Limiter and Sealer are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if len(d.Limits.PerAccountIP) == 0 {
		d.Limits.PerAccountIP = []ports.Limit{
			{N: 5, Window: time.Minute}, {N: 10, Window: 15 * time.Minute},
			{N: 20, Window: time.Hour}, {N: 50, Window: 24 * time.Hour},
		}
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
