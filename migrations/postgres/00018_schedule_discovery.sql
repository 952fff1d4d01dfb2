-- +goose Up
-- A schedule may run a discovery profile's scan (task kind 'discovery', the
-- profile in payload); its fires link the scan they started.
ALTER TABLE schedules DROP CONSTRAINT schedules_task_kind_check;
ALTER TABLE schedules ADD CONSTRAINT schedules_task_kind_check
    CHECK (task_kind IN ('script', 'action', 'discovery'));
ALTER TABLE schedule_fires ADD COLUMN scan_id uuid;

-- +goose Down
ALTER TABLE schedule_fires DROP COLUMN scan_id;
DELETE FROM schedules WHERE task_kind = 'discovery';
ALTER TABLE schedules DROP CONSTRAINT schedules_task_kind_check;
ALTER TABLE schedules ADD CONSTRAINT schedules_task_kind_check CHECK (task_kind IN ('script', 'action'));
