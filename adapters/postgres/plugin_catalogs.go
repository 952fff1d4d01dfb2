package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// PluginCatalogs keeps catalog subscriptions (see ports.PluginCatalogStore).
func (s *Store) PluginCatalogs() ports.PluginCatalogStore { return catalogStore{q: s.q} }

type catalogStore struct{ q querier }

var _ ports.PluginCatalogStore = catalogStore{}

const catalogCols = "id, name, url, public_key, key_id, created_at, created_by, index_json, index_sig, synced_at, sync_attempt_at, sync_error"

func scanCatalog(r pgx.Row) (*ports.PluginCatalog, error) {
	var c ports.PluginCatalog
	var synced, attempt *time.Time
	if err := r.Scan(&c.ID, &c.Name, &c.URL, &c.PublicKey, &c.KeyID, &c.CreatedAt, &c.CreatedBy, &c.Index, &c.Signature,
		&synced, &attempt, &c.SyncError); err != nil {
		return nil, err
	}
	c.CreatedAt, c.SyncedAt, c.SyncAttemptAt = c.CreatedAt.UTC(), fromOpt(synced), fromOpt(attempt)
	return &c, nil
}

func (st catalogStore) Create(ctx context.Context, c *ports.PluginCatalog) error {
	ctx = system(ctx)
	if c == nil || c.Name == "" || c.URL == "" || c.PublicKey == "" {
		return domain.Invalidf("a plugin catalog needs a name, a URL and a key")
	}
	for _, v := range []string{c.Name, c.URL, c.PublicKey, c.KeyID, c.CreatedBy} {
		if !storable(v) {
			return domain.Invalidf("plugin catalog fields must be UTF-8 text without NUL bytes")
		}
	}
	c.ID, c.CreatedAt = domain.NewID(), now()
	_, err := st.q.Exec(ctx, "INSERT INTO plugin_catalogs (id, name, url, public_key, key_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		c.ID, c.Name, c.URL, c.PublicKey, c.KeyID, c.CreatedAt, c.CreatedBy)
	if err != nil {
		return translate("create plugin catalog", err, c.Name)
	}
	return nil
}

func (st catalogStore) Get(ctx context.Context, id string) (*ports.PluginCatalog, error) {
	ctx = system(ctx)
	if !storable(id) {
		return nil, notFound("plugin catalog")
	}
	c, err := scanCatalog(st.q.QueryRow(ctx, "SELECT "+catalogCols+" FROM plugin_catalogs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("plugin catalog")
	}
	if err != nil {
		return nil, translate("get plugin catalog", err)
	}
	return c, nil
}

func (st catalogStore) List(ctx context.Context) ([]*ports.PluginCatalog, error) {
	ctx = system(ctx)
	out, err := queryAll(ctx, st.q, "SELECT "+catalogCols+" FROM plugin_catalogs ORDER BY lower(name)", nil, scanCatalog)
	if out == nil && err == nil {
		out = []*ports.PluginCatalog{}
	}
	return out, err
}

func (st catalogStore) Delete(ctx context.Context, id string) error {
	ctx = system(ctx)
	if !storable(id) {
		return notFound("plugin catalog")
	}
	tag, err := st.q.Exec(ctx, "DELETE FROM plugin_catalogs WHERE id = $1", id)
	if err != nil {
		return translate("delete plugin catalog", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("plugin catalog")
	}
	return nil
}

func (st catalogStore) ClaimSync(ctx context.Context, id string, at, staleBefore time.Time) (bool, error) {
	ctx = system(ctx)
	if !storable(id) {
		return false, notFound("plugin catalog")
	}
	// One statement: of two nodes claiming together, one updates the row
	// and the other then finds the fresh attempt time.
	tag, err := st.q.Exec(ctx, "UPDATE plugin_catalogs SET sync_attempt_at = $2 WHERE id = $1 AND (sync_attempt_at IS NULL OR sync_attempt_at < $3)",
		id, stamp(at), stamp(staleBefore))
	if err != nil {
		return false, translate("claim plugin catalog sync", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	if _, err := st.Get(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

func (st catalogStore) RecordSync(ctx context.Context, id string, at time.Time, index, signature []byte, syncErr string) error {
	ctx = system(ctx)
	if !storable(id) {
		return notFound("plugin catalog")
	}
	var (
		tag interface{ RowsAffected() int64 }
		err error
	)
	if index != nil {
		tag, err = st.q.Exec(ctx, "UPDATE plugin_catalogs SET index_json = $2, index_sig = $3, synced_at = $4, sync_error = '' WHERE id = $1",
			id, index, signature, stamp(at))
	} else {
		tag, err = st.q.Exec(ctx, "UPDATE plugin_catalogs SET sync_error = $2 WHERE id = $1", id, storableText(cut(syncErr, 2000)))
	}
	if err != nil {
		return translate("record plugin catalog sync", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("plugin catalog")
	}
	return nil
}

// storableText drops what a text column refuses (an error may quote bytes).
func storableText(s string) string {
	if storable(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
}
