package catalog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// ParseOptions tune Parse.
type ParseOptions struct {
	// AllowHTTP accepts http:// archive URLs (development and tests only);
	// otherwise every URL must be https.
	AllowHTTP bool
}

var (
	keyIDRE  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Parse checks sig over the exact index bytes with the catalog's key, then
// decodes and validates the index within the limits. Versions come back
// newest first. Failures wrap ErrTooLarge, ErrBadSignature, ErrWrongKey or
// ErrInvalid.
func Parse(index, sig []byte, key ed25519.PublicKey, o ParseOptions) (*Index, error) {
	if len(index) > MaxIndexSize {
		return nil, fmt.Errorf("%w: index is %d bytes (limit %d)", ErrTooLarge, len(index), MaxIndexSize)
	}
	if len(sig) > MaxSignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes (limit %d)", ErrTooLarge, len(sig), MaxSignatureSize)
	}
	if err := Verify(index, sig, key); err != nil {
		return nil, err
	}
	var ix Index
	if err := json.NewDecoder(bytes.NewReader(index)).Decode(&ix); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := ix.Validate(o); err != nil {
		return nil, err
	}
	return &ix, nil
}

// Verify checks an index.json.sig (sdk/pack's signature format) over index
// with key.
func Verify(index, sig []byte, key ed25519.PublicKey) error {
	if len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: the catalog key is not an ed25519 public key", ErrInvalid)
	}
	var s pack.Signature
	if err := json.Unmarshal(sig, &s); err != nil {
		return fmt.Errorf("%w: unreadable signature: %v", ErrBadSignature, err)
	}
	if s.Algorithm != "ed25519" {
		return fmt.Errorf("%w: algorithm %q", ErrBadSignature, s.Algorithm)
	}
	if want := pack.KeyID(key); s.KeyID != want {
		return fmt.Errorf("%w: key id %s, the catalog's is %s", ErrWrongKey, s.KeyID, want)
	}
	raw, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("%w: malformed signature", ErrBadSignature)
	}
	if !ed25519.Verify(key, index, raw) {
		return ErrBadSignature
	}
	return nil
}

// Validate checks the whole index and sorts each plugin's versions newest
// first.
func (ix *Index) Validate(o ParseOptions) error {
	if ix.Format != FormatVersion {
		return fmt.Errorf("%w: format %d (this host reads %d)", ErrInvalid, ix.Format, FormatVersion)
	}
	if len(ix.Name) > MaxNameLen {
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalid, MaxNameLen)
	}
	if len(ix.Plugins) > MaxPlugins {
		return fmt.Errorf("%w: %d plugins (limit %d)", ErrTooLarge, len(ix.Plugins), MaxPlugins)
	}
	seen := make(map[string]bool, len(ix.Plugins))
	for i := range ix.Plugins {
		p := &ix.Plugins[i]
		if err := p.validate(o); err != nil {
			return fmt.Errorf("plugins[%d] (%q): %w", i, p.ID, err)
		}
		if seen[p.ID] {
			return fmt.Errorf("%w: plugin %q is listed twice", ErrInvalid, p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

func (p *Plugin) validate(o ParseOptions) error {
	switch {
	case !manifest.ValidID(p.ID):
		return fmt.Errorf("%w: id %q: want 1-64 of a-z 0-9 . _ -", ErrInvalid, p.ID)
	case strings.TrimSpace(p.Name) == "" || len(p.Name) > MaxNameLen:
		return fmt.Errorf("%w: name must be 1 to %d bytes", ErrInvalid, MaxNameLen)
	case !sdk.Kind(p.Kind).Valid():
		return fmt.Errorf("%w: kind %q: want one of %v", ErrInvalid, p.Kind, sdk.Kinds)
	case len(p.Description) > MaxDescription:
		return fmt.Errorf("%w: description longer than %d bytes", ErrInvalid, MaxDescription)
	case !keyIDRE.MatchString(p.PublisherKeyID):
		return fmt.Errorf("%w: publisherKeyId %q: want 16 hex digits", ErrInvalid, p.PublisherKeyID)
	}
	pub, err := DecodeKey(p.PublisherKey)
	if err != nil {
		return fmt.Errorf("%w: publisherKey: %v", ErrInvalid, err)
	}
	if pack.KeyID(pub) != p.PublisherKeyID {
		return fmt.Errorf("%w: publisherKey has key id %s, not publisherKeyId %s", ErrInvalid, pack.KeyID(pub), p.PublisherKeyID)
	}
	if len(p.Versions) == 0 || len(p.Versions) > MaxVersions {
		return fmt.Errorf("%w: 1 to %d versions required, %d listed", ErrInvalid, MaxVersions, len(p.Versions))
	}
	parsed := make(map[string]manifest.Version, len(p.Versions))
	for j := range p.Versions {
		v := &p.Versions[j]
		pv, err := v.validate(o)
		if err != nil {
			return fmt.Errorf("versions[%d] (%q): %w", j, v.Version, err)
		}
		if _, dup := parsed[v.Version]; dup {
			return fmt.Errorf("%w: version %s is listed twice", ErrInvalid, v.Version)
		}
		parsed[v.Version] = pv
	}
	slices.SortStableFunc(p.Versions, func(a, b Version) int { return parsed[b.Version].Compare(parsed[a.Version]) })
	return nil
}

func (v *Version) validate(o ParseOptions) (manifest.Version, error) {
	pv, err := manifest.ParseVersion(v.Version)
	if err != nil {
		return pv, fmt.Errorf("%w: version: %v", ErrInvalid, err)
	}
	if v.MinHostVersion != "" {
		if _, err := manifest.ParseVersion(v.MinHostVersion); err != nil {
			return pv, fmt.Errorf("%w: minHostVersion: %v", ErrInvalid, err)
		}
	}
	if len(v.Platforms) == 0 || len(v.Platforms) > 32 {
		return pv, fmt.Errorf("%w: 1 to 32 platforms required", ErrInvalid)
	}
	for _, pl := range v.Platforms {
		if !manifest.ValidPlatform(pl) {
			return pv, fmt.Errorf("%w: platform %q is not an os-arch such as linux-amd64", ErrInvalid, pl)
		}
	}
	if err := CheckURL(v.URL, o.AllowHTTP); err != nil {
		return pv, err
	}
	if !sha256RE.MatchString(v.SHA256) {
		return pv, fmt.Errorf("%w: sha256: want 64 lower-case hex digits", ErrInvalid)
	}
	if v.Size <= 0 {
		return pv, fmt.Errorf("%w: size must be positive", ErrInvalid)
	}
	return pv, nil
}

// CheckURL accepts an absolute https URL with a host and no credentials
// (http too when allowHTTP).
func CheckURL(raw string, allowHTTP bool) error {
	if len(raw) > MaxURLLen {
		return fmt.Errorf("%w: url longer than %d bytes", ErrInvalid, MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: url: %v", ErrInvalid, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return fmt.Errorf("%w: url %q: only https is allowed", ErrInvalid, raw)
	default:
		return fmt.Errorf("%w: url %q: want an absolute https URL", ErrInvalid, raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: url %q has no host", ErrInvalid, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%w: url %q carries credentials", ErrInvalid, raw)
	}
	return nil
}

// DecodeKey reads an ed25519 public key given as base64 (32 bytes, the
// index's form) or as PEM (a .pub file).
func DecodeKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return pack.ParsePublicKey([]byte(s))
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("want a PEM public key or the base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}

// EncodeKey is pub in the index's form (base64).
func EncodeKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// Fingerprint is what an operator compares before trusting a key: the
// SHA-256 of the raw key, hex, in groups of four (its first 16 digits are
// the key id).
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:])
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}
