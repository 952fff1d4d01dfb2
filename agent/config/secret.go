package config

import (
	"fmt"
	"strings"
)

// Secret holds the agent token. Every way of printing or encoding it —
// fmt verbs, hclog fields, JSON, text — yields a redacted form, so a token can
// only leave the process through Reveal (the Authorization header and the
// config file).
type Secret string

const redacted = "[redacted]"

// Reveal returns the token itself. Call it only where the token must be used.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether no token is set.
func (s Secret) IsZero() bool { return s == "" }

// String shows the token's prefix only ("brz_[redacted]") so an operator can
// tell a token is present without seeing it.
func (s Secret) String() string {
	if s == "" {
		return "(none)"
	}
	if i := strings.IndexByte(string(s), '_'); i > 0 && i <= 8 {
		return string(s[:i+1]) + redacted
	}
	return redacted
}

// GoString covers %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format covers every other verb (%x, %q, %d, ...), which would otherwise
// print the underlying string.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(s.GoString()))
			return
		}
		_, _ = f.Write([]byte(s.String()))
	default:
		_, _ = f.Write([]byte(s.String()))
	}
}

// MarshalJSON and MarshalText redact too: a Config dumped to a JSON log must
// not carry the token. The config file uses its own encoding (see file.go).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText is used by encoders that prefer text (hclog's JSON format).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
