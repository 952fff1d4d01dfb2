package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// pluginOrgScope: an org's plugin row is the org's (its partner or the org
// itself covers it); site holders see none.
var pluginOrgScope = scopeCols{partner: "partner_id", org: "org_id"}

const pluginOrgCols = "plugin_id, org_id::text, partner_id::text, enabled, settings, updated_at"

func scanPluginOrg(r pgx.Row) (*ports.PluginOrg, error) {
	var o ports.PluginOrg
	var settings []byte
	if err := r.Scan(&o.PluginID, &o.OrgID, &o.PartnerID, &o.Enabled, &settings, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.Settings, o.UpdatedAt = settings, o.UpdatedAt.UTC()
	return &o, nil
}

// PutOrg upserts the row with the org's partner, in one statement that
// only finds the org when s covers it: a foreign org inserts nothing.
func (ps pluginStore) PutOrg(ctx context.Context, s domain.Scope, o *ports.PluginOrg) error {
	ctx = tenant(ctx, s)
	if o == nil {
		return domain.Invalidf("plugin org row is required")
	}
	if len(o.Settings) == 0 {
		o.Settings = []byte("{}")
	}
	if !ports.ValidSettings(o.Settings) {
		return domain.Invalidf("settings must be a JSON object")
	}
	if !domain.ValidID(o.OrgID) || !storable(o.PluginID) {
		return notFound("organization")
	}
	a := args{o.PluginID, o.Enabled, string(o.Settings), now(), o.OrgID}
	where := orgWrite.where(s, &a, "")
	out, err := scanPluginOrg(ps.q.QueryRow(ctx, "INSERT INTO plugin_orgs (plugin_id, org_id, partner_id, enabled, settings, updated_at)"+
		" SELECT $1, id, partner_id, $2, $3::jsonb, $4 FROM organizations WHERE id = $5::uuid AND "+where+
		" ON CONFLICT (plugin_id, org_id) DO UPDATE SET enabled = excluded.enabled, settings = excluded.settings,"+
		" updated_at = excluded.updated_at RETURNING "+pluginOrgCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("organization")
	}
	if err != nil {
		return translate("put plugin org", err) // a missing plugin is a foreign key: ErrNotFound
	}
	*o = *out
	return nil
}

func (ps pluginStore) GetOrg(ctx context.Context, s domain.Scope, pluginID, orgID string) (*ports.PluginOrg, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(orgID) || !storable(pluginID) {
		return nil, notFound("plugin settings")
	}
	a := args{pluginID, orgID}
	where := pluginOrgScope.where(s, &a, "")
	o, err := scanPluginOrg(ps.q.QueryRow(ctx, "SELECT "+pluginOrgCols+
		" FROM plugin_orgs WHERE plugin_id = $1 AND org_id = $2::uuid AND "+where, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("plugin settings")
	}
	if err != nil {
		return nil, translate("get plugin org", err)
	}
	return o, nil
}

func (ps pluginStore) ListOrgs(ctx context.Context, s domain.Scope, pluginID string) ([]*ports.PluginOrg, error) {
	ctx = tenant(ctx, s)
	if !storable(pluginID) {
		return []*ports.PluginOrg{}, nil
	}
	a := args{pluginID}
	where := pluginOrgScope.where(s, &a, "")
	return ps.queryOrgs(ctx, "SELECT "+pluginOrgCols+" FROM plugin_orgs WHERE plugin_id = $1 AND "+where+" ORDER BY org_id", a)
}

func (ps pluginStore) OrgPlugins(ctx context.Context, orgID string) ([]*ports.PluginOrg, error) {
	ctx = oneOrg(ctx, orgID)
	if !domain.ValidID(orgID) {
		return []*ports.PluginOrg{}, nil
	}
	return ps.queryOrgs(ctx, "SELECT "+pluginOrgCols+" FROM plugin_orgs WHERE org_id = $1::uuid ORDER BY plugin_id", args{orgID})
}

func (ps pluginStore) queryOrgs(ctx context.Context, sql string, a args) ([]*ports.PluginOrg, error) {
	out, err := queryAll(ctx, ps.q, sql, a, scanPluginOrg)
	if out == nil && err == nil {
		out = []*ports.PluginOrg{}
	}
	return out, err
}
