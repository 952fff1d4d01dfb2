-- +goose Up
-- A schedule's spread: each fire is delayed by the schedule's own fixed
-- offset in [0, spread_seconds), so many schedules on one cron spread out.
ALTER TABLE schedules ADD COLUMN spread_seconds integer NOT NULL DEFAULT 0
    CHECK (spread_seconds BETWEEN 0 AND 3600);

-- +goose Down
ALTER TABLE schedules DROP COLUMN spread_seconds;
