// Package manifest is the plugin.json type: what a plugin is, which binaries
// it ships for which platforms (pinned by SHA-256) and which settings it takes.
package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/breeze-rmm/breeze/sdk"
)

// FileName is the manifest's name inside a plugin directory or archive.
const FileName = "plugin.json"

// MaxSize bounds plugin.json; a manifest is small.
const MaxSize = 1 << 20

// ErrInvalid marks a manifest or settings that fail validation.
var ErrInvalid = errors.New("invalid plugin manifest")

// Manifest is plugin.json.
type Manifest struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Version        string                `json:"version"`
	Kind           sdk.Kind              `json:"kind"`
	Description    string                `json:"description,omitempty"`
	Author         string                `json:"author,omitempty"`
	Homepage       string                `json:"homepage,omitempty"`
	MinHostVersion string                `json:"minHostVersion,omitempty"`
	APIVersions    []int                 `json:"apiVersions"`
	Executables    map[string]Executable `json:"executables"`
	SettingsSchema *Schema               `json:"settingsSchema,omitempty"`
}

// Executable is one platform's binary, relative to the plugin directory.
type Executable struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

var (
	idRE       = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)
	platformRE = regexp.MustCompile(`^(linux|darwin|windows|freebsd)-(amd64|arm64|386|arm)$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Platform is this process's "os-arch" key.
func Platform() string { return runtime.GOOS + "-" + runtime.GOARCH }

// Parse decodes plugin.json strictly (unknown fields are errors) and validates it.
func Parse(data []byte) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrInvalid, FileName, MaxSize)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the manifest", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Load reads and parses DIR/plugin.json.
func Load(dir string) (*Manifest, []byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, nil, err
	}
	return m, data, nil
}

// Validate checks every field; all problems are reported together.
func (m *Manifest) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !idRE.MatchString(m.ID) {
		bad("id %q: want 1-64 of a-z 0-9 . _ - starting and ending with a letter or digit", m.ID)
	}
	if strings.TrimSpace(m.Name) == "" {
		bad("name is required")
	}
	if _, err := ParseVersion(m.Version); err != nil {
		bad("version: %v", err)
	}
	if !m.Kind.Valid() {
		bad("kind %q: want one of %v", m.Kind, sdk.Kinds)
	}
	if m.MinHostVersion != "" {
		if _, err := ParseVersion(m.MinHostVersion); err != nil {
			bad("minHostVersion: %v", err)
		}
	}
	if len(m.APIVersions) == 0 {
		bad("apiVersions is required")
	}
	for _, v := range m.APIVersions {
		if v < 1 {
			bad("apiVersions: %d is not a version", v)
		}
	}
	if len(m.Executables) == 0 {
		bad("executables: at least one os-arch is required")
	}
	for plat, exe := range m.Executables {
		if !platformRE.MatchString(plat) {
			bad("executables: %q is not an os-arch such as linux-amd64", plat)
		}
		if err := CheckPath(exe.Path); err != nil {
			bad("executables[%s].path: %v", plat, err)
		}
		if exe.Path == FileName {
			bad("executables[%s].path: cannot be the manifest", plat)
		}
		if exe.SHA256 != "" && !sha256RE.MatchString(exe.SHA256) {
			bad("executables[%s].sha256: want 64 lower-case hex digits", plat)
		}
	}
	if m.SettingsSchema != nil {
		if err := m.SettingsSchema.Check(); err != nil {
			bad("settingsSchema: %v", err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

// RequireHashes is Validate plus "every executable is pinned by SHA-256",
// which a packed or installed plugin must satisfy.
func (m *Manifest) RequireHashes() error {
	for plat, exe := range m.Executables {
		if exe.SHA256 == "" {
			return fmt.Errorf("%w: executables[%s] has no sha256", ErrInvalid, plat)
		}
	}
	return nil
}

// CheckPath accepts a clean relative slash path that stays inside the plugin
// directory: no absolute paths, no "..", no backslashes, no empty segments.
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsAny(p, "\\\x00:"):
		return fmt.Errorf("%q: backslash, colon and NUL are not allowed", p)
	case path.IsAbs(p) || filepath.IsAbs(p):
		return fmt.Errorf("%q is absolute", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q is not clean (want %q)", p, path.Clean(p))
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("%q leaves the plugin directory", p)
		}
	}
	return nil
}

// SupportsAPI reports whether the manifest lists API version v.
func (m *Manifest) SupportsAPI(v int) bool {
	for _, have := range m.APIVersions {
		if have == v {
			return true
		}
	}
	return false
}

// ValidID reports whether id is a plugin id (lower-case a-z 0-9 . _ -, 1-64,
// a letter or digit at both ends): what plugin.json and catalogs require.
func ValidID(id string) bool { return idRE.MatchString(id) }

// ValidPlatform reports whether p is an os-arch key such as linux-amd64.
func ValidPlatform(p string) bool { return platformRE.MatchString(p) }
