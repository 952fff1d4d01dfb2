package ports

import (
	"context"
	"time"
)

// PluginCatalog is a subscription to a plugin catalog (global, like
// installed plugins): where its signed index is served, the key that must
// sign it, and the last index that verified.
type PluginCatalog struct {
	ID        string // filled by Create
	Name      string // unique, case-insensitively
	URL       string // the index's URL (index.json; its signature is URL + ".sig")
	PublicKey string // the catalog's ed25519 key, PEM
	KeyID     string
	CreatedAt time.Time
	CreatedBy string
	// The last good sync: the index and its signature exactly as fetched
	// and verified (nil before the first), and when.
	Index, Signature []byte
	SyncedAt         time.Time
	// The last attempt: when it started (the cluster's sync lease), and
	// its error ("" when it succeeded).
	SyncAttemptAt time.Time
	SyncError     string
}

// PluginCatalogStore keeps catalog subscriptions. Reached through
// Store.PluginCatalogs().
type PluginCatalogStore interface {
	// Create fills ID and CreatedAt; a taken name is ErrConflict, an empty
	// name, URL or key ErrInvalid.
	Create(ctx context.Context, c *PluginCatalog) error
	Get(ctx context.Context, id string) (*PluginCatalog, error)
	// List is every catalog ordered by name, indexes included.
	List(ctx context.Context) ([]*PluginCatalog, error)
	Delete(ctx context.Context, id string) error
	// ClaimSync starts a sync attempt at `at` when the previous attempt
	// started before staleBefore (or never): true for exactly one caller,
	// the lease that lets one node of a cluster sync a catalog. Unknown
	// id: ErrNotFound.
	ClaimSync(ctx context.Context, id string, at, staleBefore time.Time) (bool, error)
	// RecordSync stores an attempt's result: with an index (and its
	// signature) it replaces the last good one and sets SyncedAt = at and
	// SyncError = ""; without, it keeps the last good index and records
	// syncErr. Unknown id: ErrNotFound.
	RecordSync(ctx context.Context, id string, at time.Time, index, signature []byte, syncErr string) error
}

// PluginKey is a plugin publisher's key trusted from the dashboard or the
// CLI, in addition to the server's configured trusted keys.
type PluginKey struct {
	KeyID       string // sdk/pack.KeyID of the key
	PublicKey   string // PEM
	Fingerprint string
	Name        string // what the operator called it
	AddedAt     time.Time
	AddedBy     string
}

// PluginKeyStore keeps trusted publisher keys. Reached through
// Store.PluginKeys().
type PluginKeyStore interface {
	// Put adds k (AddedAt filled when zero); a key id already trusted is
	// ErrConflict, an empty key id or key ErrInvalid.
	Put(ctx context.Context, k *PluginKey) error
	// List is every trusted key ordered by key id.
	List(ctx context.Context) ([]*PluginKey, error)
	// Delete removes a key; unknown: ErrNotFound.
	Delete(ctx context.Context, keyID string) error
}
