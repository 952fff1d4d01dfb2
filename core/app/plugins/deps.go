package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Manifest is what the service needs of a plugin.json (the SDK's type stays
// in the adapter: the core never imports the SDK, which pulls in go-plugin).
type Manifest struct {
	ID, Name, Version, Kind, Description string
	Side                                 string          // ports.PluginSideServer or ports.PluginSideAgent
	SettingsSchema                       json.RawMessage // nil when the plugin takes no settings
	Secrets                              []string        // settings the schema marks secret
	// Exec is this server's os-arch executable, a slash path relative to
	// the plugin directory; "" when the plugin ships none for it.
	Exec string
}

// Unpacked is a verified plugin unpacked into a directory the server owns.
type Unpacked struct {
	Manifest    Manifest
	Raw         json.RawMessage // plugin.json as signed
	SignerKeyID string          // "" when unsigned (development switch on)
	// Warnings are checks Packages could not make (a minHostVersion on a
	// development build): the install goes on, and says so.
	Warnings []string
}

// Packages verifies, unpacks and understands plugin archives
// (adapters/pluginserver, on the SDK's manifest and pack packages).
type Packages interface {
	// Unpack verifies the archive at path (signature against the trusted
	// keys, pinned hashes, safe paths, limits) and unpacks it into dest,
	// which must not exist. A refusal is a *Refusal; dest is then removed.
	Unpack(ctx context.Context, archivePath, dest string) (*Unpacked, error)
	// UnpackUnsigned is Unpack accepting an unsigned archive (plugin dev
	// mode only; a signature that is present is still checked).
	UnpackUnsigned(ctx context.Context, archivePath, dest string) (*Unpacked, error)
	// DevArchive packs a plugin directory under development unsigned, its
	// executables hashed afresh.
	DevArchive(ctx context.Context, dir string, w io.Writer) error
	// DevDirs lists the plugin directories of a dev directory (itself when
	// it holds a plugin.json, else each subdirectory that does).
	DevDirs(dir string) ([]string, error)
	// DevFingerprint is a cheap summary of a plugin directory that moves
	// when its manifest or executables change (a rebuild).
	DevFingerprint(ctx context.Context, dir string) (string, error)
	// ArchiveDir writes a plugin directory (plugin.json, its signature when
	// present, the executables) as an archive to w, unchanged.
	ArchiveDir(ctx context.Context, dir string, w io.Writer) error
	// Parse reads a stored plugin.json.
	Parse(raw json.RawMessage) (*Manifest, error)
	// ValidateSettings checks settings (plaintext) against the manifest's
	// schema; failures wrap domain.ErrInvalid.
	ValidateSettings(m *Manifest, settings json.RawMessage) error
	// CompareVersions is -1, 0 or 1 as a <, =, > b (semantic versions).
	CompareVersions(a, b string) (int, error)
}

// RunSpec is one server-side plugin to supervise.
type RunSpec struct {
	ID, Version, Kind string
	Exec              string // absolute, inside DATA_DIR/plugins
	SHA256            []byte // checked before every start
}

// RunStatus is a supervised plugin's state.
type RunStatus struct {
	State     string // starting, running, backoff, failed, stopped
	Restarts  int
	LastError string
	StartedAt time.Time
}

// Runtime supervises server-side plugins (adapters/pluginserver over
// pluginhost). A plugin that fails never takes the server down.
type Runtime interface {
	// Start launches and supervises spec (replacing a running one of the
	// same id). A first start that fails is returned AND kept visible in
	// Status (failed).
	Start(ctx context.Context, spec RunSpec) error
	// Stop ends the plugin; unknown ids are no error.
	Stop(ctx context.Context, id string) error
	// Status of a plugin the runtime knows; false when never started.
	Status(id string) (RunStatus, bool)
	// Notifier is the running alert channel id (ErrNotRunning-like errors
	// while it is down).
	Notifier(id string) (ports.Notifier, error)
	// StopAll ends every plugin (server shutdown).
	StopAll(ctx context.Context) error
	// Running maps the id of every plugin the runtime supervises to the
	// version it was started with.
	Running() map[string]string
}

// Changes tells the server nodes that the installed plugins or their
// switches changed, so they reconcile (a bus topic in production); nil: a
// single node. orgs are the orgs whose agent offers changed but were not
// pushed by the announcing process (it has no agent link: the CLI); a
// node that hears them pushes those orgs' offers (PushOrgs).
type Changes interface {
	PluginsChanged(ctx context.Context, orgs []string)
}

// Sealer encrypts secret settings at rest (adapters/secretbox). aad binds
// a value to its plugin, org and field.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// AgentSender pushes a frame to a device's live link wherever it is
// (core/app/relay.Relay); an offline device is an error the service ignores.
type AgentSender interface {
	ToAgent(ctx context.Context, deviceID string, frame any) error
}

// Refusal reasons (the audit row's details and the API's message).
const (
	ReasonUnsigned        = "unsigned"
	ReasonUntrustedKey    = "untrusted_key"
	ReasonBadSignature    = "bad_signature"
	ReasonHashMismatch    = "hash_mismatch"
	ReasonUnsafePath      = "unsafe_path"
	ReasonTooLarge        = "too_large"
	ReasonInvalidManifest = "invalid_manifest"
	ReasonDowngrade       = "downgrade"
	ReasonSameVersion     = "same_version"
	ReasonNoExecutable    = "no_executable"
	ReasonInvalidArchive  = "invalid_archive"
	ReasonHostTooOld      = "host_too_old"
)

// Refusal is an install the service (or Packages) refused, with its reason.
// It is an invalid input (errors.Is(err, domain.ErrInvalid)), or a conflict
// for a version already installed; its message is fit for the caller.
type Refusal struct {
	Reason string
	Err    error // a domain error
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Refuse builds a *Refusal from the cause's text.
func Refuse(reason string, cause error) error {
	if reason == ReasonSameVersion {
		return &Refusal{Reason: reason, Err: domain.Conflictf("plugin refused (%s): %v", reason, cause)}
	}
	return &Refusal{Reason: reason, Err: domain.Invalidf("plugin refused (%s): %v", reason, cause)}
}

// refusalOf returns the refusal in err's chain, if any.
func refusalOf(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
