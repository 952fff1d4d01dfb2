package protocol

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
)

// Agent self-update frames (docs/operations.md, "Agent updates").
//
// The server offers a build with TypeUpdate; the agent downloads it from
// BinaryPath with its token, checks size, SHA-256 and the release
// signature against the release keys it trusts, swaps its executable
// (keeping the old one as <exe>.prev) and restarts. The new process has
// TrialSeconds to link; otherwise it puts .prev back and restarts again.
// The agent reports each step with TypeUpdateResult; the server also
// counts a hello carrying the offered version as linked.
const (
	TypeUpdate       = "update"        // server → agent: an UpdateOffer
	TypeUpdateResult = "update_result" // agent → server: an UpdateResult
)

// UpdateOffer is the TypeUpdate frame.
type UpdateOffer struct {
	Header
	RolloutID string `json:"rolloutId"`
	Version   string `json:"version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	SHA256    string `json:"sha256"` // of the binary, hex
	Size      int64  `json:"size"`
	// Signature is base64 ed25519 over ReleaseMessage(OS, Arch, Version,
	// SHA256) by a release key.
	Signature string `json:"signature"`
	// BinaryPath is the agent route of the binary, e.g.
	// /api/v1/agents/<device>/update/<release>/binary.
	BinaryPath string `json:"binaryPath"`
	// AllowDowngrade: the rollout may install an older version.
	AllowDowngrade bool `json:"allowDowngrade,omitempty"`
	// TrialSeconds is how long the new version has to link before it
	// rolls back (0: the agent's own default).
	TrialSeconds int `json:"trialSeconds,omitempty"`
}

// Update states an agent reports (and the server stores per device, with
// "pending" and "offered" before them).
const (
	UpdateDownloading = "downloading" // fetching the offered build
	UpdateInstalled   = "installed"   // swapped; restarting on it
	UpdateLinked      = "linked"      // the new version linked (success)
	UpdateFailed      = "failed"      // refused or failed before the swap: the old build runs
	UpdateRolledBack  = "rolled_back" // the new version did not link: back on the old one
)

// UpdateResult is the TypeUpdateResult frame.
type UpdateResult struct {
	Header
	RolloutID string `json:"rolloutId"`
	Version   string `json:"version"` // the offered version
	State     string `json:"state"`   // one of the Update* states
	Running   string `json:"running"` // the version now running
	Error     string `json:"error,omitempty"`
}

// MaxUpdateError bounds UpdateResult.Error.
const MaxUpdateError = 1024

// ReleaseMessage is what a release signature signs: the platform, the
// version and the binary's hash, so a signed build cannot be offered as
// another version or for another platform.
func ReleaseMessage(os, arch, version, sha256hex string) []byte {
	return []byte("breeze-agent-release/v1\n" + os + "/" + arch + "\n" + version + "\n" + strings.ToLower(sha256hex) + "\n")
}

// ParseReleaseKey reads a release public key: base64 of the 32 raw bytes,
// optionally prefixed "ed25519:".
func ParseReleaseKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "ed25519:")
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("release key: want base64 of a %d-byte ed25519 public key", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// VerifyRelease checks sig (base64) over the release message against any
// of keys.
func VerifyRelease(keys []ed25519.PublicKey, os, arch, version, sha256hex, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("release signature is not base64 of %d bytes", ed25519.SignatureSize)
	}
	msg := ReleaseMessage(os, arch, version, sha256hex)
	for _, k := range keys {
		if ed25519.Verify(k, msg, raw) {
			return nil
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("no release key is trusted")
	}
	return fmt.Errorf("release signature does not verify with any trusted release key")
}

// CompareVersions orders agent versions: dotted numbers (an optional
// leading "v", a "-suffix" sorts before the plain release), numerically
// per part. ok is false when either is not such a version ("dev").
func CompareVersions(a, b string) (cmp int, ok bool) {
	pa, sa, oka := splitVersion(a)
	pb, sb, okb := splitVersion(b)
	if !oka || !okb {
		return 0, false
	}
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	switch {
	case sa == sb:
		return 0, true
	case sa == "":
		return 1, true
	case sb == "":
		return -1, true
	case sa < sb:
		return -1, true
	default:
		return 1, true
	}
}

func splitVersion(v string) ([]int, string, bool) {
	v = strings.TrimPrefix(v, "v")
	suffix := ""
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v, suffix = v[:i], v[i+1:]
	}
	if v == "" {
		return nil, "", false
	}
	var out []int
	for _, p := range strings.Split(v, ".") {
		if p == "" || len(p) > 9 {
			return nil, "", false
		}
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, "", false
			}
			n = n*10 + int(c-'0')
		}
		out = append(out, n)
	}
	return out, suffix, true
}
