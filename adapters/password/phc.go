package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Lengths accepted in a parsed hash (PHC argon2 allows salts from 8 bytes;
// keys shorter than 16 bytes would be too easy to collide with).
const (
	minSaltBytes, maxSaltBytes = 8, 64
	minKeyBytes, maxKeyBytes   = 16, 64
	maxEncodedLen              = 256
)

var b64 = base64.RawStdEncoding.Strict()

// phc is a decoded $argon2id$v=19$m=,t=,p=$salt$key string.
type phc struct {
	Params
	salt, key []byte
}

func (e phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, e.MemoryKiB, e.Iterations, e.Parallelism,
		b64.EncodeToString(e.salt), b64.EncodeToString(e.key))
}

// parsePHC is strict: one exact layout, canonical numbers and base64, bounded
// parameters. Anything else is ErrMalformedHash.
func parsePHC(s string) (phc, error) {
	var e phc
	if len(s) > maxEncodedLen {
		return e, fmt.Errorf("%w: too long", ErrMalformedHash)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return e, fmt.Errorf("%w: want 5 $-separated fields", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return e, fmt.Errorf("%w: algorithm is not argon2id", ErrMalformedHash)
	}
	if v, ok := strings.CutPrefix(parts[2], "v="); !ok || v != strconv.Itoa(argon2.Version) {
		return e, fmt.Errorf("%w: version is not %d", ErrMalformedHash, argon2.Version)
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return e, fmt.Errorf("%w: want m=,t=,p=", ErrMalformedHash)
	}
	m, err1 := number(params[0], "m=", maxMemoryKiB)
	t, err2 := number(params[1], "t=", maxIterations)
	p, err3 := number(params[2], "p=", maxParallelism)
	if err1 != nil || err2 != nil || err3 != nil {
		return e, fmt.Errorf("%w: bad parameters", ErrMalformedHash)
	}
	if t < 1 || p < 1 || m < 8*p { // argon2's own minimums
		return e, fmt.Errorf("%w: parameters below argon2's minimum", ErrMalformedHash)
	}
	salt, err := decodeB64(parts[4])
	if err != nil || len(salt) < minSaltBytes || len(salt) > maxSaltBytes {
		return e, fmt.Errorf("%w: bad salt", ErrMalformedHash)
	}
	key, err := decodeB64(parts[5])
	if err != nil || len(key) < minKeyBytes || len(key) > maxKeyBytes {
		return e, fmt.Errorf("%w: bad key", ErrMalformedHash)
	}
	e.Params = Params{MemoryKiB: m, Iterations: t, Parallelism: uint8(p)}
	e.salt, e.key = salt, key
	return e, nil
}

// decodeB64 decodes canonical unpadded base64. encoding/base64 skips \r and
// \n, so the alphabet is checked first: one hash has exactly one spelling.
func decodeB64(s string) ([]byte, error) {
	for i := range len(s) {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, ErrMalformedHash
		}
	}
	return b64.DecodeString(s)
}

// number parses "<prefix><decimal>" with no sign, no leading zero, at most max.
func number(s, prefix string, max uint32) (uint32, error) {
	d, ok := strings.CutPrefix(s, prefix)
	if !ok || d == "" || len(d) > 10 || (len(d) > 1 && d[0] == '0') {
		return 0, ErrMalformedHash
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, ErrMalformedHash
		}
	}
	n, err := strconv.ParseUint(d, 10, 32)
	if err != nil || n > uint64(max) {
		return 0, ErrMalformedHash
	}
	return uint32(n), nil
}
