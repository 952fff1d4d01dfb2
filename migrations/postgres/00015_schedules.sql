-- +goose Up
-- Schedules (an org's own, or partner-wide like scripts): a script or a
-- built-in action on a target, on a cron expression or once, in a named
-- zone; and their fires, one row per (schedule, scheduled instant): the
-- unique key makes a fire once across nodes and restarts.
CREATE TABLE schedules (
    id             uuid        PRIMARY KEY,
    partner_id     uuid        NOT NULL,
    org_id         uuid,
    name           text        NOT NULL CHECK (length(btrim(name)) > 0),
    description    text        NOT NULL DEFAULT '',
    enabled        boolean     NOT NULL DEFAULT TRUE,
    time_zone      text        NOT NULL CHECK (time_zone <> ''),
    cron           text        NOT NULL DEFAULT '',
    run_at         timestamptz,
    target_kind    text        NOT NULL CHECK (target_kind IN ('devices', 'group', 'site', 'org')),
    target_ids     jsonb       NOT NULL DEFAULT '[]',
    task_kind      text        NOT NULL CHECK (task_kind IN ('script', 'action')),
    script_id      uuid,
    params         jsonb       NOT NULL DEFAULT '{}',
    action         text        NOT NULL DEFAULT '',
    payload        jsonb       NOT NULL DEFAULT '{}',
    offline_policy text        NOT NULL CHECK (offline_policy IN ('skip', 'when_online')),
    grace_minutes  integer     NOT NULL DEFAULT 0 CHECK (grace_minutes BETWEEN 0 AND 10080),
    next_fire_at   timestamptz,
    last_fire_at   timestamptz,
    last_error     text        NOT NULL DEFAULT '',
    version        bigint      NOT NULL DEFAULT 1,
    created_by     text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT schedules_when CHECK ((cron <> '') <> (run_at IS NOT NULL)),
    CONSTRAINT schedules_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT schedules_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX schedules_name_key ON schedules (partner_id, org_id, lower(name)) NULLS NOT DISTINCT;
CREATE INDEX schedules_org_idx ON schedules (org_id, id);
CREATE INDEX schedules_partner_idx ON schedules (partner_id, id);
CREATE INDEX schedules_due_idx ON schedules (next_fire_at) WHERE enabled AND next_fire_at IS NOT NULL;

CREATE TABLE schedule_fires (
    id            uuid        PRIMARY KEY,
    schedule_id   uuid        NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    partner_id    uuid        NOT NULL,
    org_id        uuid,
    fire_at       timestamptz NOT NULL,
    fired_at      timestamptz NOT NULL,
    status        text        NOT NULL CHECK (status IN ('fired', 'skipped', 'failed')),
    error         text        NOT NULL DEFAULT '',
    script_run_id uuid,
    command_ids   jsonb       NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX schedule_fires_once_key ON schedule_fires (schedule_id, fire_at);
CREATE INDEX schedule_fires_list_idx ON schedule_fires (schedule_id, id DESC);
