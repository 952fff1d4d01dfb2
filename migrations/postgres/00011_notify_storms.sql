-- +goose Up
-- Notifications, second step: storm grouping per route, reminders, holds.
-- A route groups a storm: per (rule, transition) and window of
-- group_interval_seconds, the first group_after notifications go out
-- alone, the rest in one digest (either 0: no grouping).
ALTER TABLE notification_routes
    ADD COLUMN group_after integer NOT NULL DEFAULT 5
        CHECK (group_after BETWEEN 0 AND 1000),
    ADD COLUMN group_interval_seconds integer NOT NULL DEFAULT 300
        CHECK (group_interval_seconds BETWEEN 0 AND 86400);

-- The delivery log learns reminders (the n-th re-notification of a still
-- open alert), digests (the storm digest that carries an alert) and holds
-- (maintenance, snooze: tried again at held_until).
ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_outcome_check;
ALTER TABLE notification_deliveries
    ADD CONSTRAINT notification_deliveries_outcome_check CHECK (outcome IN ('delivered', 'failed', 'dead', 'rate_limited',
        'held', 'grouped', 'suppressed')),
    ADD COLUMN reminder   integer     NOT NULL DEFAULT 0 CHECK (reminder >= 0),
    ADD COLUMN digest_id  text        NOT NULL DEFAULT '',
    ADD COLUMN held_until timestamptz;
CREATE INDEX notification_deliveries_route_idx ON notification_deliveries (route_id, id);

-- Storm grouping: the place of each notification in its window (route,
-- org, rule, kind, start). The unique position makes nodes racing for the
-- first places agree.
CREATE TABLE notification_group_members (
    route_id     uuid        NOT NULL,
    alert_id     uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('open', 'acknowledged', 'resolved', 'reminder')),
    reminder     integer     NOT NULL DEFAULT 0 CHECK (reminder >= 0),
    org_id       uuid        NOT NULL,
    rule_id      uuid        NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    seq          integer     NOT NULL CHECK (seq > 0),
    grouped      boolean     NOT NULL,
    digest_id    text        NOT NULL DEFAULT '',
    PRIMARY KEY (route_id, alert_id, kind, reminder),
    CONSTRAINT notification_group_members_seq_key UNIQUE (route_id, org_id, rule_id, kind, window_start, seq),
    CONSTRAINT notification_group_members_route_fk FOREIGN KEY (route_id)
        REFERENCES notification_routes (id) ON DELETE CASCADE,
    CONSTRAINT notification_group_members_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
);
CREATE INDEX notification_group_members_alert_idx ON notification_group_members (alert_id);
CREATE INDEX notification_group_members_due_idx ON notification_group_members (window_end)
    WHERE grouped AND digest_id = '';
CREATE INDEX notification_group_members_digest_idx ON notification_group_members (digest_id) WHERE digest_id <> '';
