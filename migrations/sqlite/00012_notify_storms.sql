-- +goose Up
-- Notifications, second step: storm grouping per route, reminders, holds.
-- A route groups a storm: per (rule, transition) and window of
-- group_interval_seconds, the first group_after notifications go out
-- alone, the rest in one digest (either 0: no grouping).
ALTER TABLE notification_routes ADD COLUMN group_after INTEGER NOT NULL DEFAULT 5
    CHECK (group_after BETWEEN 0 AND 1000);
ALTER TABLE notification_routes ADD COLUMN group_interval_seconds INTEGER NOT NULL DEFAULT 300
    CHECK (group_interval_seconds BETWEEN 0 AND 86400);

-- The delivery log learns reminders (the n-th re-notification of a still
-- open alert), digests (the storm digest that carries an alert) and holds
-- (maintenance, snooze: tried again at held_until). SQLite cannot change
-- a CHECK, so the table is rebuilt (nothing references it).
CREATE TABLE notification_deliveries_v2 (
    id         TEXT    NOT NULL PRIMARY KEY,
    alert_id   TEXT    NOT NULL,
    route_id   TEXT    NOT NULL,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    site_id    TEXT    NOT NULL,
    channel_id TEXT    NOT NULL,
    transition TEXT    NOT NULL,
    attempt    INTEGER NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('delivered', 'failed', 'dead', 'rate_limited',
        'held', 'grouped', 'suppressed')),
    detail     TEXT    NOT NULL DEFAULT '',
    latency_ms INTEGER NOT NULL DEFAULT 0,
    at         INTEGER NOT NULL,
    reminder   INTEGER NOT NULL DEFAULT 0 CHECK (reminder >= 0),
    digest_id  TEXT    NOT NULL DEFAULT '',
    held_until INTEGER,
    CONSTRAINT notification_deliveries_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
) STRICT;
INSERT INTO notification_deliveries_v2 (id, alert_id, route_id, partner_id, org_id, site_id, channel_id, transition,
        attempt, outcome, detail, latency_ms, at)
    SELECT id, alert_id, route_id, partner_id, org_id, site_id, channel_id, transition, attempt, outcome, detail,
        latency_ms, at FROM notification_deliveries;
DROP TABLE notification_deliveries;
ALTER TABLE notification_deliveries_v2 RENAME TO notification_deliveries;
CREATE INDEX notification_deliveries_alert_idx ON notification_deliveries (alert_id, id);
CREATE INDEX notification_deliveries_org_idx ON notification_deliveries (org_id, id);
CREATE INDEX notification_deliveries_partner_idx ON notification_deliveries (partner_id, id);
CREATE INDEX notification_deliveries_site_idx ON notification_deliveries (site_id, id);
CREATE INDEX notification_deliveries_route_idx ON notification_deliveries (route_id, id);

-- Storm grouping: the place of each notification in its window (route,
-- org, rule, kind, start). The unique position makes nodes racing for the
-- first places agree.
CREATE TABLE notification_group_members (
    route_id     TEXT    NOT NULL,
    alert_id     TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('open', 'acknowledged', 'resolved', 'reminder')),
    reminder     INTEGER NOT NULL DEFAULT 0 CHECK (reminder >= 0),
    org_id       TEXT    NOT NULL,
    rule_id      TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq > 0),
    grouped      INTEGER NOT NULL CHECK (grouped IN (0, 1)),
    digest_id    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (route_id, alert_id, kind, reminder),
    CONSTRAINT notification_group_members_seq_key UNIQUE (route_id, org_id, rule_id, kind, window_start, seq),
    CONSTRAINT notification_group_members_route_fk FOREIGN KEY (route_id)
        REFERENCES notification_routes (id) ON DELETE CASCADE,
    CONSTRAINT notification_group_members_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX notification_group_members_alert_idx ON notification_group_members (alert_id);
CREATE INDEX notification_group_members_due_idx ON notification_group_members (window_end)
    WHERE grouped = 1 AND digest_id = '';
CREATE INDEX notification_group_members_digest_idx ON notification_group_members (digest_id) WHERE digest_id <> '';
