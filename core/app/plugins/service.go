// Package plugins is plugin management on the server: install (verified,
// unpacked into a directory the server owns, recorded), list, enable and
// disable (globally; server-side plugins are then supervised), remove, the
// per-org enablement with settings validated against the plugin's schema
// and secrets sealed at rest, alert-channel tests, and the agent-side
// distribution (offers in the welcome, a `plugins` frame on every change,
// the archive an agent downloads).
//
// Installing or removing puts or takes an executable on the server, so
// Install, Remove, Enable and Disable need the GLOBAL plugins:manage scope
// (the platform owner); per-org settings need a scope covering the org.
// Every decision is written into the request's audit note
// (core/app/audit), refusals with their reason.
package plugins

import (
	"errors"
	"path/filepath"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// MaskedSecret is what the API shows for a stored secret; sending it back
// keeps the stored value.
const MaskedSecret = "********"

// DefaultMaxArchive bounds an uploaded archive.
const DefaultMaxArchive = 64 << 20

// Deps are what the service needs.
type Deps struct {
	Store    ports.Store
	Packages Packages
	// Runtime supervises server-side plugins; nil: they are recorded but
	// never started (the CLI, which runs no plugin).
	Runtime Runtime
	Sealer  Sealer
	// Agents pushes `plugins` frames to linked devices; nil: no push.
	Agents AgentSender
	// Changes tells the other nodes to reconcile; nil: none.
	Changes Changes
	// RunUnsigned lets installed unsigned plugins run and be offered to
	// agents: only while the server is in plugin dev mode or allows
	// unsigned installs. Without it an unsigned plugin left installed
	// (say, by an earlier dev session) stays stopped and is not offered.
	RunUnsigned bool
	// DataDir is the server's data directory; plugins live in DataDir/plugins.
	DataDir string
	// MaxArchive bounds an archive (0: DefaultMaxArchive).
	MaxArchive int64
	Logger     ports.Logger
	Clock      ports.Clock
}

// Service is plugin management. Safe for concurrent use; installs and
// removals are serialised (they move directories).
type Service struct {
	d  Deps
	mu sync.Mutex // install, remove, enable, disable

	localMu sync.Mutex // ensureLocal: one node-local unpack at a time
}

// New checks deps.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Packages == nil || d.Sealer == nil || d.DataDir == "" {
		return nil, errors.New("plugins: Deps.Store, Packages, Sealer and DataDir are required")
	}
	if d.MaxArchive <= 0 {
		d.MaxArchive = DefaultMaxArchive
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	return &Service{d: d}, nil
}

// Root is where installed plugins live: Root/<id>/<version>/.
func (s *Service) Root() string { return filepath.Join(s.d.DataDir, "plugins") }

// versionDir is one installed version's directory; its archive is
// archive.tar.gz and its unpacked files are under root/.
func (s *Service) versionDir(id, version string) string { return filepath.Join(s.Root(), id, version) }

func (s *Service) archivePath(id, version string) string {
	return filepath.Join(s.versionDir(id, version), "archive.tar.gz")
}

// requireGlobal: only the platform owner changes what runs on the server.
func requireGlobal(sc domain.Scope) error {
	if !sc.Global {
		return domain.Forbiddenf("installing, removing, enabling or disabling a plugin needs a global plugins:manage grant")
	}
	return nil
}

// Plugin is the API's view of an installed plugin.
type Plugin struct {
	ID, Name, Version, Kind, Description string
	Side                                 string
	SignedBy                             string // key id, or "unsigned (development)"
	// Unsigned: no signature was checked (development switches only).
	Unsigned bool
	// Source: SourceDev when plugin dev mode loaded it from a directory,
	// else SourceArchive.
	Source  string
	Enabled bool
	// State: for server-side plugins the supervisor's state (running,
	// starting, backoff, failed, stopped) or "disabled"; for agent-side
	// plugins "enabled" or "disabled" (they run on the agents).
	State          string
	LastError      string
	Restarts       int
	SettingsSchema []byte
	InstalledAt    time.Time
	SHA256         string // of the archive
	// Warnings: the install's (checks skipped); only in Install's answer.
	Warnings []string
}

// OrgSettings is the API's view of one org's enablement (secrets masked).
type OrgSettings struct {
	PluginID, OrgID string
	Enabled         bool
	Settings        []byte // JSON object
	UpdatedAt       time.Time
}
