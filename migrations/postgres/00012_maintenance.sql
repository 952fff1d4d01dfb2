-- +goose Up
-- Maintenance windows (an org's own, or partner-wide, over an alert-rule
-- style scope; one-off or weekly, in wall-clock time of a named zone) and
-- alert snoozes: the snooze end on the alert, and history entries that
-- change no state (action snoozed / unsnoozed, with the snooze end).
CREATE TABLE maintenance_windows (
    id               uuid        PRIMARY KEY,
    partner_id       uuid        NOT NULL,
    org_id           uuid,
    name             text        NOT NULL CHECK (length(btrim(name)) > 0),
    description      text        NOT NULL DEFAULT '',
    enabled          boolean     NOT NULL DEFAULT TRUE,
    scope_kind       text        NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group', 'devices')),
    scope_ids        jsonb       NOT NULL DEFAULT '[]',
    time_zone        text        NOT NULL CHECK (time_zone <> ''),
    kind             text        NOT NULL CHECK (kind IN ('once', 'weekly')),
    starts_at        text        NOT NULL DEFAULT '',
    ends_at          text        NOT NULL DEFAULT '',
    days             jsonb       NOT NULL DEFAULT '[]',
    at_time          text        NOT NULL DEFAULT '',
    duration_minutes integer     NOT NULL DEFAULT 0 CHECK (duration_minutes >= 0),
    version          bigint      NOT NULL DEFAULT 1,
    created_by       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT maintenance_windows_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT maintenance_windows_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX maintenance_windows_name_key ON maintenance_windows (partner_id, org_id, lower(name)) NULLS NOT DISTINCT;
CREATE INDEX maintenance_windows_org_idx ON maintenance_windows (org_id, id);
CREATE INDEX maintenance_windows_partner_idx ON maintenance_windows (partner_id, id);

ALTER TABLE alerts ADD COLUMN snoozed_until timestamptz;
ALTER TABLE alert_transitions ADD COLUMN action text NOT NULL DEFAULT '';
ALTER TABLE alert_transitions ADD COLUMN until_at timestamptz;
