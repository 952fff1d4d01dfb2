package pack

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// SignatureFile sits beside plugin.json.
const SignatureFile = "plugin.json.sig"

// Verification failures, for hosts to audit by reason.
var (
	ErrUnsigned     = errors.New("plugin is not signed")
	ErrUntrustedKey = errors.New("plugin is signed by a key that is not trusted")
	ErrBadSignature = errors.New("plugin signature does not match its manifest")
	ErrHashMismatch = errors.New("plugin executable does not match its pinned sha256")
	ErrUnsafeEntry  = errors.New("unsafe archive entry")
	ErrTooLarge     = errors.New("archive exceeds size limits")
)

// Signature is the content of plugin.json.sig.
type Signature struct {
	Algorithm string `json:"algorithm"` // "ed25519"
	KeyID     string `json:"keyId"`
	Signature string `json:"signature"` // base64 (std) of ed25519.Sign(manifest bytes)
}

// Sign signs the exact manifest bytes.
func Sign(manifest []byte, key ed25519.PrivateKey) ([]byte, error) {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok || len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sign: not an ed25519 private key")
	}
	sig := Signature{Algorithm: "ed25519", KeyID: KeyID(pub), Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest))}
	out, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return append(out, '\n'), nil
}

// CheckSignature verifies sigFile over manifest with one of the trusted keys
// and returns the signing key's id.
func CheckSignature(manifest, sigFile []byte, trusted []ed25519.PublicKey) (string, error) {
	var sig Signature
	if err := json.Unmarshal(sigFile, &sig); err != nil {
		return "", fmt.Errorf("%w: unreadable signature file: %v", ErrBadSignature, err)
	}
	if sig.Algorithm != "ed25519" {
		return "", fmt.Errorf("%w: algorithm %q", ErrBadSignature, sig.Algorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return "", fmt.Errorf("%w: malformed signature", ErrBadSignature)
	}
	for _, pub := range trusted {
		if KeyID(pub) != sig.KeyID {
			continue
		}
		if !ed25519.Verify(pub, manifest, raw) {
			return sig.KeyID, ErrBadSignature
		}
		return sig.KeyID, nil
	}
	return sig.KeyID, fmt.Errorf("%w: key id %s", ErrUntrustedKey, sig.KeyID)
}
