package password

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 passes, 1 lane.
const (
	DefaultMemoryKiB   = 19456
	DefaultIterations  = 2
	DefaultParallelism = 1
	// DefaultMaxPasswordBytes bounds the input to the KDF: long passphrases
	// fit, megabyte "passwords" sent to burn CPU do not.
	DefaultMaxPasswordBytes = 1024

	saltBytes = 16
	keyBytes  = 32
)

// Bounds on parameters, for configuration and for parsed hashes alike, so a
// tampered stored hash cannot make one login allocate gigabytes.
const (
	minConfigMemoryKiB = 7168 // OWASP's weakest listed argon2id setting
	maxMemoryKiB       = 256 * 1024
	maxIterations      = 32
	maxParallelism     = 16
)

// ErrMalformedHash: a stored encoding is not an argon2id PHC string this
// package can check. It is a data problem, not the user's: no domain error.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// Options configure a Hasher; zero fields take the defaults.
type Options struct {
	Params
	MaxPasswordBytes int
}

// Hasher implements ports.PasswordHasher. It is safe for concurrent use.
type Hasher struct {
	p      Params
	maxLen int
	dummy  phc // what DummyVerify checks against: current params, random bytes
}

var _ ports.PasswordHasher = (*Hasher)(nil)

// NewHasher checks opts and returns a Hasher.
func NewHasher(opts Options) (*Hasher, error) {
	p := opts.Params
	if p.MemoryKiB == 0 {
		p.MemoryKiB = DefaultMemoryKiB
	}
	if p.Iterations == 0 {
		p.Iterations = DefaultIterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = DefaultParallelism
	}
	if opts.MaxPasswordBytes == 0 {
		opts.MaxPasswordBytes = DefaultMaxPasswordBytes
	}
	switch {
	case p.MemoryKiB < minConfigMemoryKiB || p.MemoryKiB > maxMemoryKiB:
		return nil, fmt.Errorf("password: memory %d KiB is outside [%d, %d]", p.MemoryKiB, minConfigMemoryKiB, maxMemoryKiB)
	case p.Iterations > maxIterations:
		return nil, fmt.Errorf("password: iterations %d is above %d", p.Iterations, maxIterations)
	case p.Parallelism > maxParallelism:
		return nil, fmt.Errorf("password: parallelism %d is above %d", p.Parallelism, maxParallelism)
	case opts.MaxPasswordBytes < 64:
		return nil, fmt.Errorf("password: MaxPasswordBytes %d is below 64", opts.MaxPasswordBytes)
	}
	h := &Hasher{p: p, maxLen: opts.MaxPasswordBytes}
	h.dummy = phc{Params: p, salt: randomBytes(saltBytes), key: randomBytes(keyBytes)}
	return h, nil
}

// Params returns the parameters new hashes use.
func (h *Hasher) Params() Params { return h.p }

// Hash returns the PHC encoding of password under a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	if password == "" {
		return "", domain.Invalidf("password is empty")
	}
	if err := h.checkLen(password); err != nil {
		return "", err
	}
	e := phc{Params: h.p, salt: randomBytes(saltBytes)}
	e.key = derive(password, e.Params, e.salt, keyBytes)
	return e.String(), nil
}

// Verify checks password against encoded in constant time (for equal-length
// keys). needsRehash is reported only for a match.
func (h *Hasher) Verify(password, encoded string) (ok, needsRehash bool, err error) {
	if err := h.checkLen(password); err != nil {
		return false, false, err
	}
	e, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(derive(password, e.Params, e.salt, len(e.key)), e.key) != 1 {
		return false, false, nil
	}
	stale := e.Params != h.p || len(e.salt) != saltBytes || len(e.key) != keyBytes
	return true, stale, nil
}

// DummyVerify does the work of a Verify against a current-parameter hash
// that no password matches, so an unknown account costs as much as a known one.
func (h *Hasher) DummyVerify(password string) {
	if h.checkLen(password) != nil {
		return // Verify would also return at once
	}
	d := h.dummy
	subtle.ConstantTimeCompare(derive(password, d.Params, d.salt, len(d.key)), d.key)
}

func (h *Hasher) checkLen(password string) error {
	if len(password) > h.maxLen {
		return domain.Invalidf("password is longer than %d bytes", h.maxLen)
	}
	return nil
}

func derive(password string, p Params, salt []byte, keyLen int) []byte {
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(keyLen))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand aborts the program instead)
	return b
}
