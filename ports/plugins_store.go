package ports

import (
	"context"
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Plugin sides: where a plugin runs.
const (
	PluginSideServer = "server"
	PluginSideAgent  = "agent"
)

// InstalledPlugin is one installed plugin (global: installing puts an
// executable on the server, which only the platform owner may do). ID is
// the manifest id ("breeze.webhook"); one row per plugin, holding the
// installed version.
type InstalledPlugin struct {
	ID          string
	Name        string
	Version     string
	Kind        string // alert_channel, scanner, script_runtime, collector
	Side        string // PluginSideServer or PluginSideAgent
	Manifest    json.RawMessage
	ArchiveSHA  string // hex SHA-256 of the archive as uploaded
	ArchiveSize int64
	ExecSHA     string // hex SHA-256 of this server's os-arch executable, "" when none
	SignerKeyID string // "" when unsigned (development switch)
	Enabled     bool   // globally
	InstalledAt time.Time
	InstalledBy string
	UpdatedAt   time.Time
}

// PluginOrg is one org's enablement of a plugin and its settings (a JSON
// object whose secret values the service has sealed before storing).
type PluginOrg struct {
	PluginID  string
	OrgID     string
	PartnerID string // filled from the org
	Enabled   bool
	Settings  json.RawMessage
	UpdatedAt time.Time
}

// PluginStore keeps installed plugins, their per-org settings and their
// key-value stores. Reached through Store.Plugins(), so InTx binds it.
//
// The plugin rows are global (no scope: the service lets only a global
// grant change them). The per-org rows follow the tenant rule: a scope
// covering the org (its partner or the org itself) sees and writes them;
// anything else is ErrNotFound and writes nothing.
type PluginStore interface {
	// Put inserts p, or replaces the stored plugin of that ID (an upgrade:
	// Enabled and the per-org rows are kept). It sets InstalledAt (when
	// zero) and UpdatedAt. A malformed row (empty id/version, unknown kind
	// or side, manifest not JSON) is ErrInvalid.
	Put(ctx context.Context, p *InstalledPlugin) error
	Get(ctx context.Context, id string) (*InstalledPlugin, error)
	// List is every installed plugin ordered by id.
	List(ctx context.Context) ([]*InstalledPlugin, error)
	// SetEnabled flips the global switch and returns the stored row.
	SetEnabled(ctx context.Context, id string, enabled bool) (*InstalledPlugin, error)
	// Delete removes the plugin, its org rows, its archive and its
	// key-value entries.
	Delete(ctx context.Context, id string) error

	// PutArchive keeps the archive of the plugin's installed version (one
	// per plugin: a new version replaces the old), so every node can
	// unpack it. The plugin must be stored (ErrNotFound otherwise).
	PutArchive(ctx context.Context, pluginID, version string, data []byte) error
	// Archive returns the kept archive of that version; ErrNotFound when
	// there is none (or another version is kept).
	Archive(ctx context.Context, pluginID, version string) ([]byte, error)

	// PutOrg inserts or replaces an org's row. The org must be covered by s
	// and the plugin installed (ErrNotFound otherwise); PartnerID and
	// UpdatedAt are filled. Settings must be a JSON object (ErrInvalid).
	PutOrg(ctx context.Context, s domain.Scope, o *PluginOrg) error
	// GetOrg is ErrNotFound when the row does not exist or is out of scope.
	GetOrg(ctx context.Context, s domain.Scope, pluginID, orgID string) (*PluginOrg, error)
	// ListOrgs lists a plugin's rows within s, ordered by org id.
	ListOrgs(ctx context.Context, s domain.Scope, pluginID string) ([]*PluginOrg, error)
	// OrgPlugins lists every row of one org (all plugins), ordered by
	// plugin id: what the service offers that org's devices (system use).
	OrgPlugins(ctx context.Context, orgID string) ([]*PluginOrg, error)

	// KV: one plugin's keys, never another's. An unknown plugin is
	// ErrNotFound on KVPut; keys are 1..256 bytes, values at most 64 KiB
	// (ErrInvalid).
	KVGet(ctx context.Context, pluginID, key string) ([]byte, bool, error)
	KVPut(ctx context.Context, pluginID, key string, value []byte) error
	KVDelete(ctx context.Context, pluginID, key string) error
	// KVList returns the keys starting with prefix, sorted.
	KVList(ctx context.Context, pluginID, prefix string) ([]string, error)
}

// Limits of the plugin key-value store.
const (
	PluginKVMaxKey   = 256
	PluginKVMaxValue = 64 << 10
)

// pluginKinds are the kinds a plugin row may hold (sdk.Kinds, restated:
// ports imports no SDK).
var pluginKinds = map[string]bool{"alert_channel": true, "scanner": true, "script_runtime": true, "collector": true}

// Validate is the row check both adapters apply in Put.
func (p *InstalledPlugin) Validate() error {
	switch {
	case p == nil:
		return domain.Invalidf("plugin is required")
	case p.ID == "" || len(p.ID) > 64:
		return domain.Invalidf("plugin id must be 1 to 64 characters")
	case p.Version == "" || len(p.Version) > 64:
		return domain.Invalidf("plugin version must be 1 to 64 characters")
	case !pluginKinds[p.Kind]:
		return domain.Invalidf("plugin kind %q is unknown", p.Kind)
	case p.Side != PluginSideServer && p.Side != PluginSideAgent:
		return domain.Invalidf("plugin side %q is neither server nor agent", p.Side)
	case !json.Valid(p.Manifest):
		return domain.Invalidf("plugin manifest is not JSON")
	case p.ArchiveSize < 0:
		return domain.Invalidf("plugin archive size is negative")
	}
	return nil
}

// ValidSettings reports whether raw is a JSON object (what PutOrg stores).
func ValidSettings(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// ValidKV checks a key-value entry against the limits.
func ValidKV(key string, value []byte) error {
	if key == "" || len(key) > PluginKVMaxKey {
		return domain.Invalidf("key must be 1 to %d bytes", PluginKVMaxKey)
	}
	if len(value) > PluginKVMaxValue {
		return domain.Invalidf("value is larger than %d bytes", PluginKVMaxValue)
	}
	return nil
}
