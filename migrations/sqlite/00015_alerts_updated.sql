-- +goose Up
-- The notification repair (core/app/notify/repair.go) reads the alerts
-- that changed in the last hour.
CREATE INDEX alerts_updated_idx ON alerts (updated_at);

-- +goose Down
DROP INDEX alerts_updated_idx;
