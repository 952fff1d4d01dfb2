-- +goose Up
-- A schedule may run a discovery profile's scan (task kind 'discovery', the
-- profile in payload); its fires link the scan they started. SQLite cannot
-- change a CHECK in place: both tables are rebuilt, the fires first (they
-- reference the schedules), in this migration's transaction.
CREATE TEMP TABLE schedules_copy AS SELECT * FROM schedules;
CREATE TEMP TABLE schedule_fires_copy AS SELECT * FROM schedule_fires;
DROP TABLE schedule_fires;
DROP TABLE schedules;
CREATE TABLE schedules (
    id             TEXT    NOT NULL PRIMARY KEY,
    partner_id     TEXT    NOT NULL,
    org_id         TEXT,
    name           TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    description    TEXT    NOT NULL DEFAULT '',
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    time_zone      TEXT    NOT NULL CHECK (time_zone <> ''),
    cron           TEXT    NOT NULL DEFAULT '',
    run_at         INTEGER,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('devices', 'group', 'site', 'org')),
    target_ids     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(target_ids)),
    task_kind      TEXT    NOT NULL CHECK (task_kind IN ('script', 'action', 'discovery')),
    script_id      TEXT,
    params         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    action         TEXT    NOT NULL DEFAULT '',
    payload        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    offline_policy TEXT    NOT NULL CHECK (offline_policy IN ('skip', 'when_online')),
    grace_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (grace_minutes BETWEEN 0 AND 10080),
    next_fire_at   INTEGER,
    last_fire_at   INTEGER,
    last_error     TEXT    NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,
    created_by     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    spread_seconds INTEGER NOT NULL DEFAULT 0 CHECK (spread_seconds BETWEEN 0 AND 3600),
    CONSTRAINT schedules_when CHECK ((cron <> '') <> (run_at IS NOT NULL)),
    CONSTRAINT schedules_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT schedules_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX schedules_name_key ON schedules (partner_id, coalesce(org_id, ''), name);
CREATE INDEX schedules_org_idx ON schedules (org_id, id);
CREATE INDEX schedules_partner_idx ON schedules (partner_id, id);
CREATE INDEX schedules_due_idx ON schedules (next_fire_at) WHERE enabled = 1 AND next_fire_at IS NOT NULL;

INSERT INTO schedules (id, partner_id, org_id, name, description, enabled, time_zone, cron, run_at, target_kind, target_ids, task_kind, script_id, params, action, payload, offline_policy, grace_minutes, next_fire_at, last_fire_at, last_error, version, created_by, created_at, updated_at, spread_seconds)
    SELECT id, partner_id, org_id, name, description, enabled, time_zone, cron, run_at, target_kind, target_ids, task_kind, script_id, params, action, payload, offline_policy, grace_minutes, next_fire_at, last_fire_at, last_error, version, created_by, created_at, updated_at, spread_seconds FROM schedules_copy;
CREATE TABLE schedule_fires (
    id            TEXT    NOT NULL PRIMARY KEY,
    schedule_id   TEXT    NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    partner_id    TEXT    NOT NULL,
    org_id        TEXT,
    fire_at       INTEGER NOT NULL,
    fired_at      INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('fired', 'skipped', 'failed')),
    error         TEXT    NOT NULL DEFAULT '',
    script_run_id TEXT,
    command_ids   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(command_ids)),
    scan_id       TEXT
) STRICT;
CREATE UNIQUE INDEX schedule_fires_once_key ON schedule_fires (schedule_id, fire_at);
CREATE INDEX schedule_fires_list_idx ON schedule_fires (schedule_id, id DESC);
INSERT INTO schedule_fires (id, schedule_id, partner_id, org_id, fire_at, fired_at, status, error, script_run_id, command_ids)
    SELECT id, schedule_id, partner_id, org_id, fire_at, fired_at, status, error, script_run_id, command_ids FROM schedule_fires_copy;
DROP TABLE schedules_copy;
DROP TABLE schedule_fires_copy;

-- +goose Down
DELETE FROM schedules WHERE task_kind = 'discovery';
ALTER TABLE schedule_fires DROP COLUMN scan_id;
