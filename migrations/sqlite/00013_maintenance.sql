-- +goose Up
-- Maintenance windows (an org's own, or partner-wide, over an alert-rule
-- style scope; one-off or weekly, in wall-clock time of a named zone) and
-- alert snoozes: the snooze end on the alert, and history entries that
-- change no state (action snoozed / unsnoozed, with the snooze end).
CREATE TABLE maintenance_windows (
    id               TEXT    NOT NULL PRIMARY KEY,
    partner_id       TEXT    NOT NULL,
    org_id           TEXT,
    name             TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    description      TEXT    NOT NULL DEFAULT '',
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    scope_kind       TEXT    NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group', 'devices')),
    scope_ids        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(scope_ids)),
    time_zone        TEXT    NOT NULL CHECK (time_zone <> ''),
    kind             TEXT    NOT NULL CHECK (kind IN ('once', 'weekly')),
    starts_at        TEXT    NOT NULL DEFAULT '',
    ends_at          TEXT    NOT NULL DEFAULT '',
    days             TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(days)),
    at_time          TEXT    NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL DEFAULT 0 CHECK (duration_minutes >= 0),
    version          INTEGER NOT NULL DEFAULT 1,
    created_by       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CONSTRAINT maintenance_windows_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT maintenance_windows_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX maintenance_windows_name_key ON maintenance_windows (partner_id, coalesce(org_id, ''), name);
CREATE INDEX maintenance_windows_org_idx ON maintenance_windows (org_id, id);
CREATE INDEX maintenance_windows_partner_idx ON maintenance_windows (partner_id, id);

ALTER TABLE alerts ADD COLUMN snoozed_until INTEGER;
ALTER TABLE alert_transitions ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE alert_transitions ADD COLUMN until_at INTEGER;
