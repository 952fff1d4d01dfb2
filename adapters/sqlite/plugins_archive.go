package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
)

func (ps pluginStore) PutArchive(ctx context.Context, pluginID, version string, data []byte) error {
	if version == "" || len(data) == 0 {
		return domain.Invalidf("a plugin archive needs a version and content")
	}
	return ps.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO plugin_archives (plugin_id, version, data) VALUES (?, ?, ?)"+
			" ON CONFLICT (plugin_id) DO UPDATE SET version = excluded.version, data = excluded.data", pluginID, version, data)
		return failure{op: "put plugin archive", missing: "plugin not found"}.wrap(err)
	})
}

func (ps pluginStore) Archive(ctx context.Context, pluginID, version string) ([]byte, error) {
	var data []byte
	err := ps.s.read(ctx).QueryRowContext(ctx, "SELECT data FROM plugin_archives WHERE plugin_id = ? AND version = ?",
		pluginID, version).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("plugin archive")
	}
	if err != nil {
		return nil, failure{op: "read plugin archive"}.wrap(err)
	}
	return data, nil
}
