package sqlite

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// PluginKeys keeps the publisher keys trusted in the database (see
// ports.PluginKeyStore).
func (s *Store) PluginKeys() ports.PluginKeyStore { return pluginKeyStore{s} }

type pluginKeyStore struct{ s *Store }

var _ ports.PluginKeyStore = pluginKeyStore{}

func (st pluginKeyStore) Put(ctx context.Context, k *ports.PluginKey) error {
	if k == nil || k.KeyID == "" || k.PublicKey == "" {
		return domain.Invalidf("a trusted key needs a key id and a key")
	}
	at := k.AddedAt
	if at.IsZero() {
		at = now()
	}
	err := st.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO plugin_keys (key_id, public_key, fingerprint, name, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?)",
			k.KeyID, k.PublicKey, k.Fingerprint, k.Name, micros(at), k.AddedBy)
		return failure{op: "trust plugin key", dup: "key " + k.KeyID + " is already trusted"}.wrap(err)
	})
	if err != nil {
		return err
	}
	k.AddedAt = fromMicros(micros(at))
	return nil
}

func (st pluginKeyStore) List(ctx context.Context) ([]*ports.PluginKey, error) {
	rows, err := st.s.read(ctx).QueryContext(ctx, "SELECT key_id, public_key, fingerprint, name, added_at, added_by FROM plugin_keys ORDER BY key_id")
	if err != nil {
		return nil, failure{op: "list trusted keys"}.wrap(err)
	}
	defer rows.Close()
	out := []*ports.PluginKey{}
	for rows.Next() {
		var k ports.PluginKey
		var at int64
		if err := rows.Scan(&k.KeyID, &k.PublicKey, &k.Fingerprint, &k.Name, &at, &k.AddedBy); err != nil {
			return nil, failure{op: "list trusted keys"}.wrap(err)
		}
		k.AddedAt = fromMicros(at)
		out = append(out, &k)
	}
	return out, failure{op: "list trusted keys"}.wrap(rows.Err())
}

func (st pluginKeyStore) Delete(ctx context.Context, keyID string) error {
	return st.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "DELETE FROM plugin_keys WHERE key_id = ?", keyID)
		if err != nil {
			return failure{op: "untrust plugin key"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("trusted key")
		}
		return nil
	})
}
