package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func (ps pluginStore) KVGet(ctx context.Context, pluginID, key string) ([]byte, bool, error) {
	ctx = system(ctx)
	if !storable(pluginID) || !storable(key) {
		return nil, false, nil
	}
	var v []byte
	err := ps.q.QueryRow(ctx, "SELECT value FROM plugin_kv WHERE plugin_id = $1 AND key = $2", pluginID, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, translate("kv get", err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

func (ps pluginStore) KVPut(ctx context.Context, pluginID, key string, value []byte) error {
	ctx = system(ctx)
	if err := ports.ValidKV(key, value); err != nil {
		return err
	}
	if !storable(key) {
		return domain.Invalidf("key must be UTF-8 text without NUL bytes")
	}
	if !storable(pluginID) {
		return notFound("plugin")
	}
	if value == nil {
		value = []byte{}
	}
	_, err := ps.q.Exec(ctx, "INSERT INTO plugin_kv (plugin_id, key, value) VALUES ($1, $2, $3)"+
		" ON CONFLICT (plugin_id, key) DO UPDATE SET value = excluded.value", pluginID, key, value)
	return translate("kv put", err)
}

func (ps pluginStore) KVDelete(ctx context.Context, pluginID, key string) error {
	ctx = system(ctx)
	if !storable(pluginID) || !storable(key) {
		return nil
	}
	_, err := ps.q.Exec(ctx, "DELETE FROM plugin_kv WHERE plugin_id = $1 AND key = $2", pluginID, key)
	return translate("kv delete", err)
}

// KVList compares bytes (COLLATE "C") so the order and the prefix range
// match Go's, whatever the database's collation.
func (ps pluginStore) KVList(ctx context.Context, pluginID, prefix string) ([]string, error) {
	ctx = system(ctx)
	if !storable(pluginID) || !storable(prefix) {
		return []string{}, nil
	}
	keys, err := queryAll(ctx, ps.q, `SELECT key FROM plugin_kv WHERE plugin_id = $1 AND key COLLATE "C" >= $2 ORDER BY key COLLATE "C"`,
		args{pluginID, prefix}, scanString)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		out = append(out, k)
	}
	return out, nil
}
