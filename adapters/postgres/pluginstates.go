package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

// pluginStateJSON is the stored shape of one reported plugin state.
type pluginStateJSON struct {
	PluginID string `json:"pluginId"`
	Version  string `json:"version"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Unsigned bool   `json:"unsigned,omitempty"`
	Source   string `json:"source,omitempty"`
}

func (st inventoryStore) PutPluginStates(ctx context.Context, deviceID string, states []domain.PluginRunState, at time.Time) error {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return notFound("device")
	}
	out := make([]pluginStateJSON, len(states))
	for i, s := range states {
		out[i] = pluginStateJSON{cleanText(s.PluginID), cleanText(s.Version), cleanText(s.State), cleanText(s.Error), s.Unsigned, cleanText(s.Source)}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("postgres: encode plugin states: %w", err)
	}
	_, err = st.q.Exec(ctx, `INSERT INTO device_plugin_states (device_id, states, reported_at) VALUES ($1, $2::jsonb, $3)
		ON CONFLICT (device_id) DO UPDATE SET states = excluded.states, reported_at = excluded.reported_at`,
		deviceID, string(raw), stamp(at))
	return translate("put plugin states", err)
}

func (st inventoryStore) PluginStates(ctx context.Context, s domain.Scope, deviceID string) ([]domain.PluginRunState, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(deviceID) {
		return nil, notFound("device")
	}
	var a args
	a.add(deviceID)
	var raw *string
	var at *time.Time
	err := st.q.QueryRow(ctx, `SELECT p.states::text, p.reported_at FROM devices d
		LEFT JOIN device_plugin_states p ON p.device_id = d.id WHERE d.id = $1 AND `+tenantScope.where(s, &a, "d."), a...).Scan(&raw, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("device")
	}
	if err != nil {
		return nil, translate("read plugin states", err)
	}
	out := []domain.PluginRunState{}
	if raw == nil {
		return out, nil
	}
	var stored []pluginStateJSON
	if err := json.Unmarshal([]byte(*raw), &stored); err != nil {
		return nil, fmt.Errorf("postgres: decode plugin states: %w", err)
	}
	for _, p := range stored {
		out = append(out, domain.PluginRunState{PluginID: p.PluginID, Version: p.Version, State: p.State, Error: p.Error,
			Unsigned: p.Unsigned, Source: p.Source, At: at.UTC()})
	}
	return out, nil
}
