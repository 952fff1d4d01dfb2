// Package secretbox seals small secrets at rest (plugin settings marked
// secret) with AES-256-GCM under one key shared by every server node: from
// BREEZE_PLUGIN_SECRET_KEY (base64 of 32 bytes) or, on a single node, a
// 0600 key file created in the data directory on first use.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the AES-256 key length.
const KeySize = 32

// prefix names the format so a later scheme can coexist.
const prefix = "v1."

// ErrOpen is any failure to open a sealed value: wrong key, tampered text,
// wrong associated data. The message never holds the value.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Box seals and opens values. Safe for concurrent use.
type Box struct {
	aead        cipher.AEAD
	fingerprint string
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("breeze/secretbox/fingerprint\x00"))
	return &Box{aead: aead, fingerprint: base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])}, nil
}

// Fingerprint names the key without revealing it (an HMAC of a fixed label
// under the key): two boxes with the same key have the same fingerprint, so
// nodes can check they share it (internal/server/clusterkeys.go).
func (b *Box) Fingerprint() string { return b.fingerprint }

// Seal encrypts plaintext bound to aad (e.g. plugin id, org id and field
// name, so a sealed value cannot be moved to another row or field) and
// returns printable text: "v1." + base64url(nonce || ciphertext).
func (b *Box) Seal(plaintext, aad []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open reverses Seal with the same aad.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// ParseKey decodes BREEZE_PLUGIN_SECRET_KEY: standard or URL base64, with
// or without padding, of exactly 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("secretbox: key decodes to %d bytes, want %d (generate one with: openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("secretbox: key is not base64 (generate one with: openssl rand -base64 32)")
}
