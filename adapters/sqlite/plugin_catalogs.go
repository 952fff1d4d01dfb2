package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// PluginCatalogs keeps catalog subscriptions (see ports.PluginCatalogStore).
func (s *Store) PluginCatalogs() ports.PluginCatalogStore { return catalogStore{s} }

type catalogStore struct{ s *Store }

var _ ports.PluginCatalogStore = catalogStore{}

const catalogCols = "id, name, url, public_key, key_id, created_at, created_by, index_json, index_sig, synced_at, sync_attempt_at, sync_error"

func scanCatalog(r rowScanner) (*ports.PluginCatalog, error) {
	var c ports.PluginCatalog
	var created int64
	var synced, attempt sql.NullInt64
	if err := r.Scan(&c.ID, &c.Name, &c.URL, &c.PublicKey, &c.KeyID, &created, &c.CreatedBy, &c.Index, &c.Signature,
		&synced, &attempt, &c.SyncError); err != nil {
		return nil, err
	}
	c.CreatedAt, c.SyncedAt, c.SyncAttemptAt = fromMicros(created), optMicros(synced), optMicros(attempt)
	return &c, nil
}

func (st catalogStore) Create(ctx context.Context, c *ports.PluginCatalog) error {
	if c == nil || c.Name == "" || c.URL == "" || c.PublicKey == "" {
		return domain.Invalidf("a plugin catalog needs a name, a URL and a key")
	}
	id, at := domain.NewID(), now()
	err := st.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO plugin_catalogs (id, name, url, public_key, key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
			id, c.Name, c.URL, c.PublicKey, c.KeyID, micros(at), c.CreatedBy)
		return failure{op: "create plugin catalog", unique: fmt.Sprintf("a plugin catalog named %q already exists", c.Name)}.wrap(err)
	})
	if err != nil {
		return err
	}
	c.ID, c.CreatedAt = id, at
	return nil
}

func (st catalogStore) Get(ctx context.Context, id string) (*ports.PluginCatalog, error) {
	c, err := scanCatalog(st.s.read(ctx).QueryRowContext(ctx, "SELECT "+catalogCols+" FROM plugin_catalogs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("plugin catalog")
	}
	if err != nil {
		return nil, failure{op: "get plugin catalog"}.wrap(err)
	}
	return c, nil
}

func (st catalogStore) List(ctx context.Context) ([]*ports.PluginCatalog, error) {
	rows, err := st.s.read(ctx).QueryContext(ctx, "SELECT "+catalogCols+" FROM plugin_catalogs ORDER BY name")
	if err != nil {
		return nil, failure{op: "list plugin catalogs"}.wrap(err)
	}
	defer rows.Close()
	out := []*ports.PluginCatalog{}
	for rows.Next() {
		c, err := scanCatalog(rows)
		if err != nil {
			return nil, failure{op: "list plugin catalogs"}.wrap(err)
		}
		out = append(out, c)
	}
	return out, failure{op: "list plugin catalogs"}.wrap(rows.Err())
}

func (st catalogStore) Delete(ctx context.Context, id string) error {
	return st.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "DELETE FROM plugin_catalogs WHERE id = ?", id)
		if err != nil {
			return failure{op: "delete plugin catalog"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("plugin catalog")
		}
		return nil
	})
}

func (st catalogStore) ClaimSync(ctx context.Context, id string, at, staleBefore time.Time) (bool, error) {
	won := false
	err := st.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE plugin_catalogs SET sync_attempt_at = ? WHERE id = ? AND (sync_attempt_at IS NULL OR sync_attempt_at < ?)",
			micros(at), id, micros(staleBefore))
		if err != nil {
			return failure{op: "claim plugin catalog sync"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			won = true
			return nil
		}
		var one int
		if err := q.QueryRowContext(ctx, "SELECT 1 FROM plugin_catalogs WHERE id = ?", id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return notFound("plugin catalog")
		} else if err != nil {
			return failure{op: "claim plugin catalog sync"}.wrap(err)
		}
		return nil
	})
	return won, err
}

func (st catalogStore) RecordSync(ctx context.Context, id string, at time.Time, index, signature []byte, syncErr string) error {
	return st.s.write(ctx, func(q queryer) error {
		var res sql.Result
		var err error
		if index != nil {
			res, err = q.ExecContext(ctx, "UPDATE plugin_catalogs SET index_json = ?, index_sig = ?, synced_at = ?, sync_error = '' WHERE id = ?",
				index, signature, micros(at), id)
		} else {
			if len(syncErr) > 2000 {
				syncErr = syncErr[:2000]
			}
			res, err = q.ExecContext(ctx, "UPDATE plugin_catalogs SET sync_error = ? WHERE id = ?", syncErr, id)
		}
		if err != nil {
			return failure{op: "record plugin catalog sync"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("plugin catalog")
		}
		return nil
	})
}
