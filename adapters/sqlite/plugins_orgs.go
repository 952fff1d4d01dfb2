package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// pluginOrgScope: an org's plugin row is the org's (its partner or the org
// itself covers it); site holders see none.
var pluginOrgScope = scopeCols{partner: "partner_id", org: "org_id"}

const pluginOrgCols = "plugin_id, org_id, partner_id, enabled, settings, updated_at"

func scanPluginOrg(r rowScanner) (*ports.PluginOrg, error) {
	var o ports.PluginOrg
	var settings string
	var updated int64
	if err := r.Scan(&o.PluginID, &o.OrgID, &o.PartnerID, &o.Enabled, &settings, &updated); err != nil {
		return nil, err
	}
	o.Settings, o.UpdatedAt = []byte(settings), fromMicros(updated)
	return &o, nil
}

// PutOrg checks the org is covered (reading it through the org write scope)
// and the plugin exists, then upserts, in one transaction.
func (ps pluginStore) PutOrg(ctx context.Context, s domain.Scope, o *ports.PluginOrg) error {
	if o == nil {
		return domain.Invalidf("plugin org row is required")
	}
	if len(o.Settings) == 0 {
		o.Settings = []byte("{}")
	}
	if !ports.ValidSettings(o.Settings) {
		return domain.Invalidf("settings must be a JSON object")
	}
	if !domain.ValidID(o.OrgID) {
		return notFound("organization")
	}
	var out *ports.PluginOrg
	err := ps.s.write(ctx, func(q queryer) error {
		args := []any{o.OrgID}
		var partnerID string
		err := q.QueryRowContext(ctx, "SELECT partner_id FROM organizations WHERE id = ? AND "+
			orgWriteScope.where(s, "", &args), args...).Scan(&partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("organization")
		}
		if err != nil {
			return failure{op: "put plugin org"}.wrap(err)
		}
		out, err = scanPluginOrg(q.QueryRowContext(ctx, "INSERT INTO plugin_orgs ("+pluginOrgCols+") VALUES (?, ?, ?, ?, ?, ?)"+
			" ON CONFLICT (plugin_id, org_id) DO UPDATE SET enabled = excluded.enabled, settings = excluded.settings,"+
			" updated_at = excluded.updated_at RETURNING "+pluginOrgCols,
			o.PluginID, o.OrgID, partnerID, o.Enabled, string(o.Settings), micros(now())))
		return failure{op: "put plugin org", missing: "plugin not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	*o = *out
	return nil
}

func (ps pluginStore) GetOrg(ctx context.Context, s domain.Scope, pluginID, orgID string) (*ports.PluginOrg, error) {
	if !domain.ValidID(orgID) {
		return nil, notFound("plugin settings")
	}
	args := []any{pluginID, orgID}
	where := pluginOrgScope.where(s, "", &args)
	o, err := scanPluginOrg(ps.s.read(ctx).QueryRowContext(ctx, "SELECT "+pluginOrgCols+
		" FROM plugin_orgs WHERE plugin_id = ? AND org_id = ? AND "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("plugin settings")
	}
	if err != nil {
		return nil, failure{op: "get plugin org"}.wrap(err)
	}
	return o, nil
}

func (ps pluginStore) ListOrgs(ctx context.Context, s domain.Scope, pluginID string) ([]*ports.PluginOrg, error) {
	args := []any{pluginID}
	where := pluginOrgScope.where(s, "", &args)
	return ps.queryOrgs(ctx, "SELECT "+pluginOrgCols+" FROM plugin_orgs WHERE plugin_id = ? AND "+where+" ORDER BY org_id", args...)
}

func (ps pluginStore) OrgPlugins(ctx context.Context, orgID string) ([]*ports.PluginOrg, error) {
	return ps.queryOrgs(ctx, "SELECT "+pluginOrgCols+" FROM plugin_orgs WHERE org_id = ? ORDER BY plugin_id", orgID)
}

func (ps pluginStore) queryOrgs(ctx context.Context, query string, args ...any) ([]*ports.PluginOrg, error) {
	rows, err := ps.s.read(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, failure{op: "list plugin orgs"}.wrap(err)
	}
	defer rows.Close()
	out := []*ports.PluginOrg{}
	for rows.Next() {
		o, err := scanPluginOrg(rows)
		if err != nil {
			return nil, failure{op: "list plugin orgs"}.wrap(err)
		}
		out = append(out, o)
	}
	return out, failure{op: "list plugin orgs"}.wrap(rows.Err())
}
