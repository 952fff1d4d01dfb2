package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// PluginKeys keeps the publisher keys trusted in the database (see
// ports.PluginKeyStore).
func (s *Store) PluginKeys() ports.PluginKeyStore { return pluginKeyStore{q: s.q} }

type pluginKeyStore struct{ q querier }

var _ ports.PluginKeyStore = pluginKeyStore{}

func (st pluginKeyStore) Put(ctx context.Context, k *ports.PluginKey) error {
	ctx = system(ctx)
	if k == nil || k.KeyID == "" || k.PublicKey == "" {
		return domain.Invalidf("a trusted key needs a key id and a key")
	}
	for _, v := range []string{k.KeyID, k.PublicKey, k.Fingerprint, k.Name, k.AddedBy} {
		if !storable(v) {
			return domain.Invalidf("trusted key fields must be UTF-8 text without NUL bytes")
		}
	}
	if k.AddedAt.IsZero() {
		k.AddedAt = now()
	}
	k.AddedAt = stamp(k.AddedAt)
	_, err := st.q.Exec(ctx, "INSERT INTO plugin_keys (key_id, public_key, fingerprint, name, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6)",
		k.KeyID, k.PublicKey, k.Fingerprint, k.Name, k.AddedAt, k.AddedBy)
	if err != nil {
		if err = translate("trust plugin key", err); errors.Is(err, domain.ErrConflict) {
			return domain.Conflictf("key %s is already trusted", k.KeyID)
		}
		return err
	}
	return nil
}

func (st pluginKeyStore) List(ctx context.Context) ([]*ports.PluginKey, error) {
	ctx = system(ctx)
	out, err := queryAll(ctx, st.q, "SELECT key_id, public_key, fingerprint, name, added_at, added_by FROM plugin_keys ORDER BY key_id", nil,
		func(r pgx.Row) (*ports.PluginKey, error) {
			var k ports.PluginKey
			if err := r.Scan(&k.KeyID, &k.PublicKey, &k.Fingerprint, &k.Name, &k.AddedAt, &k.AddedBy); err != nil {
				return nil, err
			}
			k.AddedAt = k.AddedAt.UTC()
			return &k, nil
		})
	if out == nil && err == nil {
		out = []*ports.PluginKey{}
	}
	return out, err
}

func (st pluginKeyStore) Delete(ctx context.Context, keyID string) error {
	ctx = system(ctx)
	if !storable(keyID) {
		return notFound("trusted key")
	}
	tag, err := st.q.Exec(ctx, "DELETE FROM plugin_keys WHERE key_id = $1", keyID)
	if err != nil {
		return translate("untrust plugin key", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("trusted key")
	}
	return nil
}
