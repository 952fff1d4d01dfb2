// Package catalog is the plugin catalog format: a JSON index of plugins
// (ids, kinds, versions, platforms, archive URLs and hashes, publisher
// keys) signed with the catalog's ed25519 key, served over HTTPS as
// index.json and index.json.sig. Build makes one from packed archives;
// Parse verifies and bounds one. Both the `breeze plugin catalog build`
// command and the server's catalog sync use it.
package catalog

import "errors"

// File names of a published catalog (beside each other under one URL).
const (
	IndexFile     = "index.json"
	SignatureFile = "index.json.sig"
)

// FormatVersion is the index format this package writes and reads.
const FormatVersion = 1

// Limits an index must keep within (Parse refuses beyond them).
const (
	MaxIndexSize     = 16 << 20 // bytes of index.json
	MaxSignatureSize = 4 << 10  // bytes of index.json.sig
	MaxPlugins       = 10000
	MaxVersions      = 100 // per plugin
	MaxNameLen       = 128
	MaxDescription   = 2048
	MaxURLLen        = 2048
)

// Errors, for callers to tell apart (errors.Is).
var (
	// ErrBadSignature: the signature does not verify over the index bytes.
	ErrBadSignature = errors.New("catalog signature does not verify")
	// ErrWrongKey: the index is signed by a key other than the catalog's.
	ErrWrongKey = errors.New("catalog is signed by another key")
	// ErrTooLarge: the index or its signature exceeds a limit.
	ErrTooLarge = errors.New("catalog exceeds its limits")
	// ErrInvalid: the index is malformed (a bad id, URL, hash, version...).
	ErrInvalid = errors.New("invalid catalog")
)

// Index is index.json.
type Index struct {
	Format      int      `json:"format"`
	Name        string   `json:"name,omitempty"`
	GeneratedAt string   `json:"generatedAt,omitempty"` // RFC 3339, informative
	Plugins     []Plugin `json:"plugins"`
}

// Plugin is one plugin of the catalog and its versions, newest first.
type Plugin struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Description string `json:"description,omitempty"`
	// PublisherKeyID is the key id (sdk/pack.KeyID) that signs every
	// version's archive; PublisherKey is that ed25519 public key (base64,
	// 32 bytes), so an operator can trust it after checking its fingerprint.
	PublisherKeyID string    `json:"publisherKeyId"`
	PublisherKey   string    `json:"publisherKey"`
	Versions       []Version `json:"versions"`
}

// Version is one packed archive of a plugin.
type Version struct {
	Version        string   `json:"version"`
	MinHostVersion string   `json:"minHostVersion,omitempty"`
	Platforms      []string `json:"platforms"` // os-arch keys of the manifest's executables
	URL            string   `json:"url"`       // absolute https URL of the archive
	SHA256         string   `json:"sha256"`    // of the archive file
	Size           int64    `json:"size"`      // of the archive file, bytes
}

// Latest is the newest version (Versions are kept newest first).
func (p *Plugin) Latest() *Version {
	if len(p.Versions) == 0 {
		return nil
	}
	return &p.Versions[0]
}

// Find is the version v, or nil.
func (p *Plugin) Find(v string) *Version {
	for i := range p.Versions {
		if p.Versions[i].Version == v {
			return &p.Versions[i]
		}
	}
	return nil
}
