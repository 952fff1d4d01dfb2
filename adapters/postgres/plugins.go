package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Plugins keeps installed plugins, their org rows and key-value stores
// (see ports.PluginStore).
func (s *Store) Plugins() ports.PluginStore { return pluginStore{q: s.q} }

type pluginStore struct{ q querier }

var _ ports.PluginStore = pluginStore{}

const pluginCols = "id, name, version, kind, side, manifest, archive_sha256, archive_size, exec_sha256, signer_key_id," +
	" enabled, installed_at, installed_by, updated_at"

func scanPlugin(r pgx.Row) (*ports.InstalledPlugin, error) {
	var p ports.InstalledPlugin
	var manifest []byte
	if err := r.Scan(&p.ID, &p.Name, &p.Version, &p.Kind, &p.Side, &manifest, &p.ArchiveSHA, &p.ArchiveSize, &p.ExecSHA,
		&p.SignerKeyID, &p.Enabled, &p.InstalledAt, &p.InstalledBy, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Manifest = manifest
	p.InstalledAt, p.UpdatedAt = p.InstalledAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// pluginTextOK refuses text PostgreSQL cannot store (NUL, bad UTF-8).
func pluginTextOK(p *ports.InstalledPlugin) bool {
	for _, v := range []string{p.ID, p.Name, p.Version, p.ArchiveSHA, p.ExecSHA, p.SignerKeyID, p.InstalledBy} {
		if !storable(v) {
			return false
		}
	}
	return true
}

// Put inserts or upgrades; an upgrade keeps enabled and the org rows.
func (ps pluginStore) Put(ctx context.Context, p *ports.InstalledPlugin) error {
	ctx = system(ctx)
	if err := p.Validate(); err != nil {
		return err
	}
	if !pluginTextOK(p) {
		return domain.Invalidf("plugin fields must be UTF-8 text without NUL bytes")
	}
	at := now()
	installed := at
	if !p.InstalledAt.IsZero() {
		installed = stamp(p.InstalledAt)
	}
	out, err := scanPlugin(ps.q.QueryRow(ctx, "INSERT INTO plugins ("+pluginCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"+
		" ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, kind = excluded.kind,"+
		" side = excluded.side, manifest = excluded.manifest, archive_sha256 = excluded.archive_sha256,"+
		" archive_size = excluded.archive_size, exec_sha256 = excluded.exec_sha256, signer_key_id = excluded.signer_key_id,"+
		" installed_at = excluded.installed_at, installed_by = excluded.installed_by, updated_at = excluded.updated_at"+
		" RETURNING "+pluginCols,
		p.ID, p.Name, p.Version, p.Kind, p.Side, string(p.Manifest), p.ArchiveSHA, p.ArchiveSize, p.ExecSHA, p.SignerKeyID,
		p.Enabled, installed, p.InstalledBy, at))
	if err != nil {
		return translate("put plugin", err)
	}
	*p = *out
	return nil
}

func (ps pluginStore) Get(ctx context.Context, id string) (*ports.InstalledPlugin, error) {
	ctx = system(ctx)
	if !storable(id) {
		return nil, notFound("plugin")
	}
	p, err := scanPlugin(ps.q.QueryRow(ctx, "SELECT "+pluginCols+" FROM plugins WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("plugin")
	}
	if err != nil {
		return nil, translate("get plugin", err)
	}
	return p, nil
}

func (ps pluginStore) List(ctx context.Context) ([]*ports.InstalledPlugin, error) {
	ctx = system(ctx)
	out, err := queryAll(ctx, ps.q, "SELECT "+pluginCols+" FROM plugins ORDER BY id", nil, scanPlugin)
	if out == nil && err == nil {
		out = []*ports.InstalledPlugin{}
	}
	return out, err
}

func (ps pluginStore) SetEnabled(ctx context.Context, id string, enabled bool) (*ports.InstalledPlugin, error) {
	ctx = system(ctx)
	if !storable(id) {
		return nil, notFound("plugin")
	}
	p, err := scanPlugin(ps.q.QueryRow(ctx, "UPDATE plugins SET enabled = $1, updated_at = $2 WHERE id = $3 RETURNING "+pluginCols,
		enabled, now(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("plugin")
	}
	if err != nil {
		return nil, translate("enable plugin", err)
	}
	return p, nil
}

func (ps pluginStore) Delete(ctx context.Context, id string) error {
	ctx = system(ctx)
	if !storable(id) {
		return notFound("plugin")
	}
	tag, err := ps.q.Exec(ctx, "DELETE FROM plugins WHERE id = $1", id)
	if err != nil {
		return translateDelete("delete plugin", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("plugin")
	}
	return nil
}
