package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Token prefixes make a leaked secret recognisable (and greppable by secret scanners).
const (
	RefreshPrefix = "brr_"
	APIKeyPrefix  = "bzk_"
)

// NewSecret returns prefix + 256 random bits, base64url.
func NewSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret is the stored form of a secret: hex SHA-256. Secrets carry 256
// bits of entropy, so a fast hash is enough (no password stretching needed).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
