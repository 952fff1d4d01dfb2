package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

func (is inventoryStore) PutPluginStates(ctx context.Context, deviceID string, states []domain.PluginRunState, at time.Time) error {
	if !domain.ValidID(deviceID) {
		return notFound("device")
	}
	out := make([]pluginStateJSON, len(states))
	for i, st := range states {
		out[i] = pluginStateJSON{st.PluginID, st.Version, st.State, st.Error, st.Unsigned, st.Source}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("sqlite: encode plugin states: %w", err)
	}
	return is.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO device_plugin_states (device_id, states, reported_at) VALUES (?, ?, ?)"+
			" ON CONFLICT (device_id) DO UPDATE SET states = excluded.states, reported_at = excluded.reported_at",
			deviceID, string(raw), micros(at))
		return failure{op: "put plugin states", missing: "device not found"}.wrap(err)
	})
}

func (is inventoryStore) PluginStates(ctx context.Context, s domain.Scope, deviceID string) ([]domain.PluginRunState, error) {
	if !domain.ValidID(deviceID) {
		return nil, notFound("device")
	}
	args := []any{deviceID}
	where := tenantScope.where(s, "d.", &args)
	var raw sql.NullString
	var at sql.NullInt64
	err := is.s.read(ctx).QueryRowContext(ctx, "SELECT p.states, p.reported_at FROM devices AS d"+
		" LEFT JOIN device_plugin_states AS p ON p.device_id = d.id WHERE d.id = ? AND "+where, args...).Scan(&raw, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("device")
	}
	if err != nil {
		return nil, failure{op: "read plugin states"}.wrap(err)
	}
	return decodePluginStates(raw.String, fromMicros(at.Int64))
}

func decodePluginStates(raw string, at time.Time) ([]domain.PluginRunState, error) {
	out := []domain.PluginRunState{}
	if raw == "" {
		return out, nil
	}
	var stored []pluginStateJSON
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return nil, fmt.Errorf("decode plugin states: %w", err)
	}
	for _, st := range stored {
		out = append(out, domain.PluginRunState{PluginID: st.PluginID, Version: st.Version, State: st.State, Error: st.Error,
			Unsigned: st.Unsigned, Source: st.Source, At: at})
	}
	return out, nil
}
