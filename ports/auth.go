package ports

import (
	"context"
	"time"
)

// AccessClaims is what an access token proves.
type AccessClaims struct {
	UserID    string
	SessionID string // the refresh-token family the token was minted from
	IssuedAt  time.Time
	ExpiresAt time.Time
	TokenID   string
}

// AccessTokens mints and checks the short-lived access tokens (adapters/jwt).
//
// Issue requires UserID and SessionID (else domain.ErrInvalid). It fills
// TokenID when empty and always sets IssuedAt from the issuer's own clock
// (c.IssuedAt is ignored). ExpiresAt is now+TTL, or c.ExpiresAt when that is
// sooner (so a token never outlives its session). Times are whole seconds, and
// the returned expiresAt is exactly what Verify will report.
//
// Verify answers an error wrapping domain.ErrUnauthenticated for any failure:
// malformed, wrong algorithm, unknown key, bad signature, wrong issuer or
// audience, expired, not yet valid, or a required claim missing. It does not
// know about revocation: callers that need it check SessionID against storage.
type AccessTokens interface {
	Issue(ctx context.Context, c AccessClaims) (token string, expiresAt time.Time, err error)
	Verify(ctx context.Context, token string) (AccessClaims, error)
}

// PasswordHasher hashes and checks user passwords (adapters/password).
//
// Hash refuses an empty or overlong password with domain.ErrInvalid. Verify
// answers ok=false with a nil error for a wrong password; an error means the
// password was overlong (domain.ErrInvalid) or the stored encoding is broken.
// needsRehash is true when ok and the encoding uses other parameters than the
// current ones: the caller should then store Hash(password).
//
// DummyVerify spends the time of a Verify without any stored hash; login calls
// it for an unknown email so response time does not reveal which emails exist.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(password, encoded string) (ok bool, needsRehash bool, err error)
	DummyVerify(password string)
}

// TOTP is RFC 6238 one-time codes (6 digits, 30 s, SHA-1, ±1 step of skew).
//
// Generate makes a new base32 secret and its otpauth:// URL (for a QR code).
// Validate and ValidateStep do NOT prevent replay: a code stays valid for its
// whole window. Callers that accept a code store the returned step with the
// user and refuse any later code whose step is not greater than the stored one.
type TOTP interface {
	Generate(accountName string) (secret, otpauthURL string, err error)
	Validate(code, secret string, at time.Time) bool
	ValidateStep(code, secret string, at time.Time) (step int64, ok bool)
}
