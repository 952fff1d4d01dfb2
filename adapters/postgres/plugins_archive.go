package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

func (ps pluginStore) PutArchive(ctx context.Context, pluginID, version string, data []byte) error {
	ctx = system(ctx)
	if version == "" || len(data) == 0 {
		return domain.Invalidf("a plugin archive needs a version and content")
	}
	if !storable(pluginID) || !storable(version) {
		return notFound("plugin")
	}
	_, err := ps.q.Exec(ctx, "INSERT INTO plugin_archives (plugin_id, version, data) VALUES ($1, $2, $3)"+
		" ON CONFLICT (plugin_id) DO UPDATE SET version = excluded.version, data = excluded.data", pluginID, version, data)
	return translate("put plugin archive", err)
}

func (ps pluginStore) Archive(ctx context.Context, pluginID, version string) ([]byte, error) {
	ctx = system(ctx)
	if !storable(pluginID) || !storable(version) {
		return nil, notFound("plugin archive")
	}
	var data []byte
	err := ps.q.QueryRow(ctx, "SELECT data FROM plugin_archives WHERE plugin_id = $1 AND version = $2", pluginID, version).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("plugin archive")
	}
	if err != nil {
		return nil, translate("read plugin archive", err)
	}
	return data, nil
}
