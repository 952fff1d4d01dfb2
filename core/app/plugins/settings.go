package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// sealedKey marks a sealed secret in stored settings: {"$sealed": "v1..."}.
const sealedKey = "$sealed"

// ListOrgs is a plugin's org rows within sc, secrets masked.
func (s *Service) ListOrgs(ctx context.Context, sc domain.Scope, pluginID string) ([]*OrgSettings, error) {
	row, m, err := s.manifestOf(ctx, pluginID)
	if err != nil {
		return nil, err
	}
	rows, err := s.d.Store.Plugins().ListOrgs(ctx, sc, row.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*OrgSettings, 0, len(rows))
	for _, o := range rows {
		v, err := s.masked(m, o)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetOrg is one org's row, secrets masked; an org without a row reads as
// disabled with no settings (when sc covers the org).
func (s *Service) GetOrg(ctx context.Context, sc domain.Scope, pluginID, orgID string) (*OrgSettings, error) {
	_, m, err := s.manifestOf(ctx, pluginID)
	if err != nil {
		return nil, err
	}
	if _, err := s.coveredOrg(ctx, sc, orgID); err != nil {
		return nil, err
	}
	o, err := s.d.Store.Plugins().GetOrg(ctx, sc, pluginID, orgID)
	if err != nil {
		if domainNotFound(err) {
			return &OrgSettings{PluginID: pluginID, OrgID: orgID, Settings: []byte("{}")}, nil
		}
		return nil, err
	}
	return s.masked(m, o)
}

// PutOrg enables or disables a plugin for one org and replaces its
// settings: validated against the plugin's schema, secrets sealed, a secret
// sent as MaskedSecret keeping its stored value. Devices of the org get the
// new set of agent-side plugins.
func (s *Service) PutOrg(ctx context.Context, sc domain.Scope, pluginID, orgID string, enabled bool, settings json.RawMessage) (*OrgSettings, error) {
	auditResource(ctx, pluginID, "", "")
	row, m, err := s.manifestOf(ctx, pluginID)
	if err != nil {
		return nil, err
	}
	org, err := s.coveredOrg(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	auditResource(ctx, pluginID, org.PartnerID, org.ID)
	values, err := decodeObject(settings)
	if err != nil {
		return nil, err
	}
	// Secrets sent back masked keep their stored value.
	var stored map[string]json.RawMessage
	prev, err := s.d.Store.Plugins().GetOrg(ctx, sc, pluginID, orgID)
	switch {
	case err == nil:
		if stored, err = s.open(m, prev); err != nil {
			return nil, err
		}
	case !domainNotFound(err):
		return nil, err
	}
	for _, k := range m.Secrets {
		if v, ok := values[k]; ok && isMask(v) {
			if old, had := stored[k]; had {
				values[k] = old
			} else {
				delete(values, k)
			}
		}
	}
	plain, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("plugins: encode settings: %w", err)
	}
	if err := s.d.Packages.ValidateSettings(m, plain); err != nil {
		return nil, err
	}
	sealed, err := s.seal(m, pluginID, orgID, values)
	if err != nil {
		return nil, err
	}
	o := &ports.PluginOrg{PluginID: pluginID, OrgID: orgID, Enabled: enabled, Settings: sealed}
	if err := s.d.Store.Plugins().PutOrg(ctx, sc, o); err != nil {
		return nil, err
	}
	auditOutcome(ctx, domain.OutcomeSuccess, map[string]string{"enabled": fmt.Sprint(enabled)})
	if row.Side == ports.PluginSideAgent && row.Enabled {
		s.pushOrg(ctx, orgID)
	}
	return s.masked(m, o)
}

// manifestOf loads a plugin row and its parsed manifest.
func (s *Service) manifestOf(ctx context.Context, id string) (*ports.InstalledPlugin, *Manifest, error) {
	row, err := s.d.Store.Plugins().Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.d.Packages.Parse(row.Manifest)
	if err != nil {
		return nil, nil, fmt.Errorf("plugins: stored manifest of %s: %w", id, err)
	}
	return row, m, nil
}

// coveredOrg is the org when sc covers it at org level (a site grant
// reads the org but does not manage its plugins): ErrNotFound otherwise.
func (s *Service) coveredOrg(ctx context.Context, sc domain.Scope, orgID string) (*domain.Organization, error) {
	org, err := s.d.Store.Orgs().Get(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	if !sc.CoversOrg(org.PartnerID, org.ID) {
		return nil, domain.NotFoundf("organization not found")
	}
	return org, nil
}

func decodeObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	values := map[string]json.RawMessage{}
	if t := bytes.TrimSpace(raw); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		if err := json.Unmarshal(t, &values); err != nil || values == nil {
			return nil, domain.Invalidf("settings must be a JSON object")
		}
	}
	return values, nil
}

func isMask(v json.RawMessage) bool {
	var s string
	return json.Unmarshal(v, &s) == nil && s == MaskedSecret
}

func aad(pluginID, orgID, field string) []byte {
	return []byte(pluginID + "\x00" + orgID + "\x00" + field)
}

// seal replaces each secret value by {"$sealed": ...}.
func (s *Service) seal(m *Manifest, pluginID, orgID string, values map[string]json.RawMessage) (json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		if !slices.Contains(m.Secrets, k) {
			out[k] = v
			continue
		}
		box, err := s.d.Sealer.Seal(v, aad(pluginID, orgID, k))
		if err != nil {
			return nil, fmt.Errorf("plugins: seal %s: %w", k, err)
		}
		enc, _ := json.Marshal(map[string]string{sealedKey: box})
		out[k] = enc
	}
	return json.Marshal(out)
}

// open returns the stored settings with secrets in clear.
func (s *Service) open(m *Manifest, o *ports.PluginOrg) (map[string]json.RawMessage, error) {
	values, err := decodeObject(o.Settings)
	if err != nil {
		return nil, err
	}
	for k, v := range values {
		var box map[string]string
		if json.Unmarshal(v, &box) != nil || box[sealedKey] == "" {
			continue
		}
		plain, err := s.d.Sealer.Open(box[sealedKey], aad(o.PluginID, o.OrgID, k))
		if err != nil {
			return nil, fmt.Errorf("plugins: open secret %s of %s for org %s (wrong BREEZE_PLUGIN_SECRET_KEY?): %w", k, o.PluginID, o.OrgID, err)
		}
		values[k] = plain
	}
	return values, nil
}

// openJSON is open with the schema's defaults for the fields not set,
// encoded: what a plugin is given (server calls, agent offers).
func (s *Service) openJSON(m *Manifest, o *ports.PluginOrg) (json.RawMessage, error) {
	values, err := s.open(m, o)
	if err != nil {
		return nil, err
	}
	applyDefaults(m, values)
	return json.Marshal(values)
}

// applyDefaults sets the schema's `default` of every property not set. A
// schema that does not parse adds nothing (it was validated at install).
func applyDefaults(m *Manifest, values map[string]json.RawMessage) {
	if len(m.SettingsSchema) == 0 {
		return
	}
	var schema struct {
		Properties map[string]struct {
			Default json.RawMessage `json:"default"`
		} `json:"properties"`
	}
	if json.Unmarshal(m.SettingsSchema, &schema) != nil {
		return
	}
	for name, p := range schema.Properties {
		if _, set := values[name]; !set && len(p.Default) > 0 && string(p.Default) != "null" {
			values[name] = p.Default
		}
	}
}

// masked is the API view: secrets that hold a value show as MaskedSecret.
func (s *Service) masked(m *Manifest, o *ports.PluginOrg) (*OrgSettings, error) {
	values, err := decodeObject(o.Settings)
	if err != nil {
		return nil, err
	}
	mask, _ := json.Marshal(MaskedSecret)
	for k := range values {
		if slices.Contains(m.Secrets, k) {
			values[k] = mask
		}
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	return &OrgSettings{PluginID: o.PluginID, OrgID: o.OrgID, Enabled: o.Enabled, Settings: raw, UpdatedAt: o.UpdatedAt}, nil
}
