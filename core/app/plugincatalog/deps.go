// Package plugincatalog is plugin catalogs on the server: subscriptions to
// signed catalogs (synced on subscribe, on demand and periodically by one
// node of the cluster), search across them, installs and upgrades from
// them through the ordinary install path, and the publisher keys trusted
// in the database. The format, the fetching (HTTPS through the egress
// policy) and the signature checks are the Source's (adapters/plugincatalog
// over sdk/catalog); the core never imports the SDK.
package plugincatalog

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DefaultSyncEvery is how often a catalog is synced when nobody asks.
const DefaultSyncEvery = 6 * time.Hour

// Index is a catalog's verified index.
type Index struct {
	Name    string
	Plugins []Entry
}

// Entry is one plugin of a catalog.
type Entry struct {
	ID, Name, Kind, Description string
	PublisherKeyID              string
	PublisherKey                string // base64, as the catalog gives it
	PublisherFingerprint        string
	Versions                    []Version // newest first
}

// Version is one downloadable archive of a plugin.
type Version struct {
	Version, MinHostVersion string
	Platforms               []string
	URL, SHA256             string
	Size                    int64
}

// Key is a parsed ed25519 public key.
type Key struct {
	ID, Fingerprint string
	PEM             string
}

// Source is the catalog format and transport (adapters/plugincatalog).
type Source interface {
	// CheckURL refuses a URL the server will not fetch (not https, unless
	// the development setting allows http); domain.ErrInvalid.
	CheckURL(raw string) error
	// FetchIndex downloads the index at url and its signature (url +
	// ".sig"), within the format's size limits, through the egress policy.
	FetchIndex(ctx context.Context, url string) (index, sig []byte, err error)
	// Parse verifies sig over index with the catalog's key (PEM) and
	// decodes it within the format's limits.
	Parse(index, sig []byte, catalogKey string) (*Index, error)
	// Download writes the archive at url to w, failing past max bytes.
	Download(ctx context.Context, url string, max int64, w io.Writer) error
	// ParseKey reads an ed25519 public key (PEM or base64).
	ParseKey(text string) (Key, error)
	// CompareVersions is -1, 0 or 1 as a <, =, > b (semantic versions).
	CompareVersions(a, b string) (int, error)
	// Usable reports whether this server can use a plugin of kind built for
	// platforms: agent-side kinds always (each agent has its own platform),
	// server-side ones only with the server's os-arch among them.
	Usable(kind string, platforms []string) bool
}

// Installer is the ordinary install path (*plugins.Service).
type Installer interface {
	Install(ctx context.Context, sc domain.Scope, o plugins.InstallOptions, r io.Reader) (*plugins.Plugin, error)
	List(ctx context.Context) ([]*plugins.Plugin, error)
}

// Trust answers which publisher keys are trusted: the configured keys
// and the database's, the same set installs verify with
// (adapters/pluginserver.Packages).
type Trust interface {
	TrustedKeyIDs(ctx context.Context) (map[string]bool, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store     ports.Store
	Source    Source
	Installer Installer
	Trust     Trust
	Clock     ports.Clock
	Logger    ports.Logger
	// SyncEvery is the periodic sync's interval (0: DefaultSyncEvery).
	SyncEvery time.Duration
	// MaxArchive bounds a downloaded archive (0: plugins.DefaultMaxArchive).
	MaxArchive int64
	// HostVersion is this server's version: a version whose minHostVersion
	// is newer is not picked by default (a development build, not semver,
	// picks any).
	HostVersion string
}

// Service is the catalog use cases.
type Service struct {
	d     Deps
	mu    sync.Mutex
	cache map[string]cachedIndex // catalog id → its parsed index
}

// New checks d.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Source == nil || d.Installer == nil || d.Trust == nil {
		return nil, errors.New("plugincatalog: Store, Source, Installer and Trust are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.SyncEvery <= 0 {
		d.SyncEvery = DefaultSyncEvery
	}
	if d.MaxArchive <= 0 {
		d.MaxArchive = plugins.DefaultMaxArchive
	}
	return &Service{d: d}, nil
}

// requireGlobal: catalogs and trusted keys decide what code the server
// runs, so they are the platform owner's, like installs.
func requireGlobal(sc domain.Scope) error {
	if !sc.Global {
		return domain.Forbiddenf("plugin catalogs and trusted keys need a global plugins:manage grant")
	}
	return nil
}
