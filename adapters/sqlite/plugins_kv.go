package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/breeze-rmm/breeze/ports"
)

func (ps pluginStore) KVGet(ctx context.Context, pluginID, key string) ([]byte, bool, error) {
	var v []byte
	err := ps.s.read(ctx).QueryRowContext(ctx, "SELECT value FROM plugin_kv WHERE plugin_id = ? AND key = ?", pluginID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, failure{op: "kv get"}.wrap(err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

func (ps pluginStore) KVPut(ctx context.Context, pluginID, key string, value []byte) error {
	if err := ports.ValidKV(key, value); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return ps.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO plugin_kv (plugin_id, key, value) VALUES (?, ?, ?)"+
			" ON CONFLICT (plugin_id, key) DO UPDATE SET value = excluded.value", pluginID, key, value)
		return failure{op: "kv put", missing: "plugin not found"}.wrap(err)
	})
}

func (ps pluginStore) KVDelete(ctx context.Context, pluginID, key string) error {
	return ps.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "DELETE FROM plugin_kv WHERE plugin_id = ? AND key = ?", pluginID, key)
		return failure{op: "kv delete"}.wrap(err)
	})
}

// KVList filters the prefix in Go: LIKE would need escaping and GLOB is
// case-sensitive but treats * ? [ specially; one plugin's keys are few.
func (ps pluginStore) KVList(ctx context.Context, pluginID, prefix string) ([]string, error) {
	rows, err := ps.s.read(ctx).QueryContext(ctx, "SELECT key FROM plugin_kv WHERE plugin_id = ? AND key >= ? ORDER BY key", pluginID, prefix)
	if err != nil {
		return nil, failure{op: "kv list"}.wrap(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, failure{op: "kv list"}.wrap(err)
		}
		if !strings.HasPrefix(k, prefix) {
			break // sorted: past the prefix range
		}
		out = append(out, k)
	}
	return out, failure{op: "kv list"}.wrap(rows.Err())
}
