package jwt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"
)

const (
	// MinSecretBytes is the shortest accepted HMAC key: 256 bits, the size of
	// the HS256 output (RFC 7518 §3.2).
	MinSecretBytes = 32
	// maxKeys bounds a set after Rotate: the current key plus four previous
	// ones. Access tokens live minutes, so older keys protect nothing.
	maxKeys = 5
)

// key is one HMAC secret and the id that names it in the token header.
type key struct {
	ID      string
	Secret  []byte
	Created time.Time
}

// KeySet is a current signing key plus older verification-only keys. It is
// safe for concurrent use. A set loaded with LoadOrCreateKeySet persists
// rotations to its file; one built with NewKeySet lives in memory only.
type KeySet struct {
	mu   sync.RWMutex
	keys []key // keys[0] is the current signing key; the rest verify only
	path string
}

// NewKeySet builds a set from configured secrets: secret signs, previous
// (optional) still verify. Every secret must be at least MinSecretBytes long.
// Key ids derive from the secrets, so nodes configured alike agree on them.
func NewKeySet(secret []byte, previous ...[]byte) (*KeySet, error) {
	ks := &KeySet{}
	for i, s := range append([][]byte{secret}, previous...) {
		if len(s) < MinSecretBytes {
			return nil, fmt.Errorf("jwt: secret %d is %d bytes; at least %d are required", i, len(s), MinSecretBytes)
		}
		k := key{ID: keyID(s), Secret: slices.Clone(s)}
		if ks.find(k.ID) >= 0 {
			return nil, fmt.Errorf("jwt: secret %d is a duplicate", i)
		}
		ks.keys = append(ks.keys, k)
	}
	return ks, nil
}

// Rotate makes a new random key current and keeps the previous ones for
// verification (the oldest beyond four are dropped). A file-backed set writes
// the file first and changes nothing in memory if that fails.
//
// Other nodes learn of a rotation only when they reload the file; in a
// multi-node deployment rotate by configuration (new secret first, old ones
// as previous) on every node instead.
func (ks *KeySet) Rotate() error {
	k := newRandomKey()
	ks.mu.Lock()
	defer ks.mu.Unlock()
	keys := append([]key{k}, ks.keys...)
	if len(keys) > maxKeys {
		keys = keys[:maxKeys]
	}
	if ks.path != "" {
		if err := writeKeyFile(ks.path, keys, false); err != nil {
			return err
		}
	}
	ks.keys = keys
	return nil
}

// CurrentKeyID names the signing key (not a secret; useful to operators).
func (ks *KeySet) CurrentKeyID() string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[0].ID
}

// KeyIDs lists every key id, current first.
func (ks *KeySet) KeyIDs() []string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	ids := make([]string, len(ks.keys))
	for i, k := range ks.keys {
		ids[i] = k.ID
	}
	return ids
}

// signing returns the current key. The secret must not be modified.
func (ks *KeySet) signing() (id string, secret []byte) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[0].ID, ks.keys[0].Secret
}

// lookup returns the secret named id, current or previous.
func (ks *KeySet) lookup(id string) ([]byte, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	if i := ks.find(id); i >= 0 {
		return ks.keys[i].Secret, true
	}
	return nil, false
}

func (ks *KeySet) find(id string) int {
	return slices.IndexFunc(ks.keys, func(k key) bool { return k.ID == id })
}

func newRandomKey() key {
	s := make([]byte, MinSecretBytes)
	rand.Read(s) // never fails (crypto/rand aborts the program instead)
	return key{ID: keyID(s), Secret: s, Created: time.Now().UTC().Truncate(time.Second)}
}

// keyID names a secret by a truncated, domain-separated SHA-256 of it. That
// reveals nothing an HS256 token does not already allow testing offline.
func keyID(secret []byte) string {
	h := sha256.New()
	h.Write([]byte("breeze/jwt/kid\x00"))
	h.Write(secret)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}
