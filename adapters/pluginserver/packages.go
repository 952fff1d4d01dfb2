// Package pluginserver is the server's plugin machinery behind
// core/app/plugins: Packages (verify and unpack archives with sdk/pack
// against the trusted keys, read manifests, validate settings with
// sdk/manifest) and Runtime (server-side plugins supervised by
// pluginhost, each with its own HostAPI: hclog tagged with the
// plugin id, no settings of its own, a key-value store scoped to it).
package pluginserver

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// Packages implements plugins.Packages.
type Packages struct {
	// Trusted are the configured keys a plugin's signature may verify with
	// (BREEZE_PLUGIN_TRUSTED_KEYS); DBKeys adds those trusted in the
	// database (nil: none). See TrustedKeys.
	Trusted []ed25519.PublicKey
	DBKeys  ports.PluginKeyStore
	// AllowUnsigned is the development switch (BREEZE_PLUGINS_ALLOW_UNSIGNED).
	AllowUnsigned bool
	// Limits bound unpacking (zero: sdk/pack's defaults).
	Limits pack.Limits
	// Platform is the os-arch whose executable the server runs
	// (empty: this process's).
	Platform string
	// HostVersion is this server's version, checked against a manifest's
	// minHostVersion. A version that is not semver (a development build,
	// "dev" or a commit hash) skips the check.
	HostVersion string
}

var _ plugins.Packages = (*Packages)(nil)

func (p *Packages) platform() string {
	if p.Platform != "" {
		return p.Platform
	}
	return manifest.Platform()
}

// Unpack verifies and unpacks; every failure is a *plugins.Refusal with
// the reason the audit row records.
func (p *Packages) Unpack(ctx context.Context, archivePath, dest string) (*plugins.Unpacked, error) {
	return p.unpack(ctx, archivePath, dest, p.AllowUnsigned)
}

// UnpackUnsigned is Unpack accepting an archive without a signature (plugin
// dev mode; a signature that is present is still checked).
func (p *Packages) UnpackUnsigned(ctx context.Context, archivePath, dest string) (*plugins.Unpacked, error) {
	return p.unpack(ctx, archivePath, dest, true)
}

func (p *Packages) unpack(ctx context.Context, archivePath, dest string, allowUnsigned bool) (*plugins.Unpacked, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return nil, fmt.Errorf("pluginserver: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return nil, fmt.Errorf("pluginserver: %w", err)
	}
	trusted, err := p.TrustedKeys(ctx)
	if err != nil {
		return nil, err
	}
	res, err := pack.UnpackVerified(f, dest, trusted, pack.VerifyOptions{AllowUnsigned: allowUnsigned}, p.Limits)
	if err != nil {
		return nil, plugins.Refuse(reasonFor(err), err)
	}
	raw, err := os.ReadFile(filepath.Join(dest, manifest.FileName))
	if err != nil {
		_ = os.RemoveAll(dest)
		return nil, fmt.Errorf("pluginserver: %w", err)
	}
	if !slices.ContainsFunc(res.Manifest.APIVersions, func(v int) bool { return slices.Contains(sdk.SupportedAPIVersions, v) }) {
		_ = os.RemoveAll(dest)
		return nil, plugins.Refuse(plugins.ReasonInvalidManifest,
			fmt.Errorf("plugin speaks API %v, this server %v", res.Manifest.APIVersions, sdk.SupportedAPIVersions))
	}
	if err := checkHostVersion(p.HostVersion, res.Manifest.MinHostVersion); err != nil {
		_ = os.RemoveAll(dest)
		return nil, plugins.Refuse(plugins.ReasonHostTooOld, err)
	}
	m, err := p.convert(res.Manifest)
	if err != nil {
		_ = os.RemoveAll(dest)
		return nil, err
	}
	var warnings []string
	if w := hostVersionSkipped(p.HostVersion, res.Manifest.MinHostVersion); w != "" {
		warnings = append(warnings, w)
	}
	return &plugins.Unpacked{Manifest: *m, Raw: raw, SignerKeyID: res.KeyID, Warnings: warnings}, nil
}

// hostVersionSkipped is the warning when checkHostVersion could not check:
// the plugin names a minHostVersion and this server is a development build.
func hostVersionSkipped(host, min string) string {
	if min == "" {
		return ""
	}
	if _, err := manifest.ParseVersion(strings.TrimPrefix(host, "v")); err == nil {
		return ""
	}
	return fmt.Sprintf("minHostVersion %s not checked: this server is a development build (version %q)", min, host)
}

// checkHostVersion refuses a plugin needing a newer server than host.
func checkHostVersion(host, min string) error {
	if min == "" {
		return nil
	}
	if _, err := manifest.ParseVersion(strings.TrimPrefix(host, "v")); err != nil {
		return nil // a development build: no version to compare
	}
	c, err := manifest.CompareVersions(strings.TrimPrefix(host, "v"), min)
	if err != nil {
		return fmt.Errorf("minHostVersion %q: %w", min, err)
	}
	if c < 0 {
		return fmt.Errorf("the plugin needs Breeze %s or newer; this server is %s", min, host)
	}
	return nil
}

// reasonFor maps sdk/pack's and sdk/manifest's errors to refusal reasons.
func reasonFor(err error) string {
	switch {
	case errors.Is(err, pack.ErrUnsigned):
		return plugins.ReasonUnsigned
	case errors.Is(err, pack.ErrUntrustedKey):
		return plugins.ReasonUntrustedKey
	case errors.Is(err, pack.ErrBadSignature):
		return plugins.ReasonBadSignature
	case errors.Is(err, pack.ErrHashMismatch):
		return plugins.ReasonHashMismatch
	case errors.Is(err, pack.ErrUnsafeEntry):
		return plugins.ReasonUnsafePath
	case errors.Is(err, pack.ErrTooLarge):
		return plugins.ReasonTooLarge
	case errors.Is(err, manifest.ErrInvalid):
		// CheckPath's words for a path leaving the plugin directory.
		if msg := err.Error(); strings.Contains(msg, "leaves the plugin directory") || strings.Contains(msg, "is absolute") {
			return plugins.ReasonUnsafePath
		}
		return plugins.ReasonInvalidManifest
	}
	return plugins.ReasonInvalidArchive
}

// Parse reads a stored plugin.json (already verified at install).
func (p *Packages) Parse(raw json.RawMessage) (*plugins.Manifest, error) {
	m, err := manifest.Parse(raw)
	if err != nil {
		return nil, err
	}
	return p.convert(m)
}

func (p *Packages) convert(m *manifest.Manifest) (*plugins.Manifest, error) {
	out := &plugins.Manifest{
		ID: m.ID, Name: m.Name, Version: m.Version, Kind: string(m.Kind), Description: m.Description,
		Side: Side(m.Kind),
	}
	if exe, ok := m.Executables[p.platform()]; ok {
		out.Exec = exe.Path
	}
	if m.SettingsSchema != nil {
		raw, err := json.Marshal(m.SettingsSchema)
		if err != nil {
			return nil, fmt.Errorf("pluginserver: encode schema: %w", err)
		}
		out.SettingsSchema = raw
		for name, prop := range m.SettingsSchema.Properties {
			if prop.Secret {
				out.Secrets = append(out.Secrets, name)
			}
		}
		slices.Sort(out.Secrets)
	}
	return out, nil
}

// Side is where a kind runs: alert channels on the server; collectors,
// script runtimes and scanners on the agents (discovery runs where the
// network is; a server-side scanner for remote ranges is future work).
func Side(k sdk.Kind) string {
	if k == sdk.KindAlertChannel {
		return ports.PluginSideServer
	}
	return ports.PluginSideAgent
}

// ValidateSettings checks plaintext settings against the schema.
func (p *Packages) ValidateSettings(m *plugins.Manifest, settings json.RawMessage) error {
	var schema *manifest.Schema
	if len(m.SettingsSchema) > 0 {
		schema = &manifest.Schema{}
		if err := json.Unmarshal(m.SettingsSchema, schema); err != nil {
			return fmt.Errorf("pluginserver: stored schema: %w", err)
		}
	}
	if err := manifest.ValidateSettings(schema, settings); err != nil {
		return domain.Invalidf("%s", strings.TrimPrefix(err.Error(), manifest.ErrInvalid.Error()+": "))
	}
	return nil
}

// CompareVersions compares semantic versions.
func (p *Packages) CompareVersions(a, b string) (int, error) { return manifest.CompareVersions(a, b) }
