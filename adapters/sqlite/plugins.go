package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// Plugins keeps installed plugins, their org rows and key-value stores
// (see ports.PluginStore).
func (s *Store) Plugins() ports.PluginStore { return pluginStore{s} }

type pluginStore struct{ s *Store }

var _ ports.PluginStore = pluginStore{}

const pluginCols = "id, name, version, kind, side, manifest, archive_sha256, archive_size, exec_sha256, signer_key_id," +
	" enabled, installed_at, installed_by, updated_at"

func scanPlugin(r rowScanner) (*ports.InstalledPlugin, error) {
	var p ports.InstalledPlugin
	var manifest string
	var installed, updated int64
	if err := r.Scan(&p.ID, &p.Name, &p.Version, &p.Kind, &p.Side, &manifest, &p.ArchiveSHA, &p.ArchiveSize, &p.ExecSHA,
		&p.SignerKeyID, &p.Enabled, &installed, &p.InstalledBy, &updated); err != nil {
		return nil, err
	}
	p.Manifest = []byte(manifest)
	p.InstalledAt, p.UpdatedAt = fromMicros(installed), fromMicros(updated)
	return &p, nil
}

// Put inserts or upgrades; an upgrade keeps enabled and the org rows.
func (ps pluginStore) Put(ctx context.Context, p *ports.InstalledPlugin) error {
	if err := p.Validate(); err != nil {
		return err
	}
	at := now()
	installed := at
	if !p.InstalledAt.IsZero() {
		installed = p.InstalledAt.UTC().Truncate(time.Microsecond)
	}
	var out *ports.InstalledPlugin
	err := ps.s.write(ctx, func(q queryer) (err error) {
		out, err = scanPlugin(q.QueryRowContext(ctx, "INSERT INTO plugins ("+pluginCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"+
			" ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, kind = excluded.kind,"+
			" side = excluded.side, manifest = excluded.manifest, archive_sha256 = excluded.archive_sha256,"+
			" archive_size = excluded.archive_size, exec_sha256 = excluded.exec_sha256, signer_key_id = excluded.signer_key_id,"+
			" installed_at = excluded.installed_at, installed_by = excluded.installed_by, updated_at = excluded.updated_at"+
			" RETURNING "+pluginCols,
			p.ID, p.Name, p.Version, p.Kind, p.Side, string(p.Manifest), p.ArchiveSHA, p.ArchiveSize, p.ExecSHA, p.SignerKeyID,
			p.Enabled, micros(installed), p.InstalledBy, micros(at)))
		return failure{op: "put plugin"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*p = *out
	return nil
}

func (ps pluginStore) Get(ctx context.Context, id string) (*ports.InstalledPlugin, error) {
	p, err := scanPlugin(ps.s.read(ctx).QueryRowContext(ctx, "SELECT "+pluginCols+" FROM plugins WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("plugin")
	}
	if err != nil {
		return nil, failure{op: "get plugin"}.wrap(err)
	}
	return p, nil
}

func (ps pluginStore) List(ctx context.Context) ([]*ports.InstalledPlugin, error) {
	rows, err := ps.s.read(ctx).QueryContext(ctx, "SELECT "+pluginCols+" FROM plugins ORDER BY id")
	if err != nil {
		return nil, failure{op: "list plugins"}.wrap(err)
	}
	defer rows.Close()
	out := []*ports.InstalledPlugin{}
	for rows.Next() {
		p, err := scanPlugin(rows)
		if err != nil {
			return nil, failure{op: "list plugins"}.wrap(err)
		}
		out = append(out, p)
	}
	return out, failure{op: "list plugins"}.wrap(rows.Err())
}

func (ps pluginStore) SetEnabled(ctx context.Context, id string, enabled bool) (*ports.InstalledPlugin, error) {
	var out *ports.InstalledPlugin
	err := ps.s.write(ctx, func(q queryer) (err error) {
		out, err = scanPlugin(q.QueryRowContext(ctx, "UPDATE plugins SET enabled = ?, updated_at = ? WHERE id = ? RETURNING "+pluginCols,
			enabled, micros(now()), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("plugin")
		}
		return failure{op: "enable plugin"}.wrap(err)
	})
	return out, err
}

func (ps pluginStore) Delete(ctx context.Context, id string) error {
	return ps.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "DELETE FROM plugins WHERE id = ?", id)
		if err != nil {
			return failure{op: "delete plugin"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("plugin")
		}
		return nil
	})
}
