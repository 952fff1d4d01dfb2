-- +goose Up
-- What each device's agent last reported of its plugins (a JSON array of
-- {pluginId, version, state, error}); the row goes with its device.
CREATE TABLE device_plugin_states (
    device_id   UUID        NOT NULL PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    states      JSONB       NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);
