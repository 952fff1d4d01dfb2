-- +goose Up
-- Notifications: routes (an org's own, or its partner's default) sending
-- alerts of some severities to an alert-channel plugin, and the delivery
-- log of every attempt (the dead ones are the dead-letter list).
CREATE TABLE notification_routes (
    id            TEXT    NOT NULL PRIMARY KEY,
    partner_id    TEXT    NOT NULL,
    org_id        TEXT,
    name          TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    channel_id    TEXT    NOT NULL CHECK (channel_id <> ''),
    severities    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(severities)),
    rate_per_hour INTEGER NOT NULL DEFAULT 0 CHECK (rate_per_hour >= 0),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_by    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    CONSTRAINT notification_routes_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT notification_routes_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX notification_routes_name_key ON notification_routes (partner_id, coalesce(org_id, ''), name);
CREATE INDEX notification_routes_org_idx ON notification_routes (org_id, id);
CREATE INDEX notification_routes_partner_idx ON notification_routes (partner_id, id);

CREATE TABLE notification_deliveries (
    id         TEXT    NOT NULL PRIMARY KEY,
    alert_id   TEXT    NOT NULL,
    route_id   TEXT    NOT NULL,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    site_id    TEXT    NOT NULL,
    channel_id TEXT    NOT NULL,
    transition TEXT    NOT NULL,
    attempt    INTEGER NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('delivered', 'failed', 'dead', 'rate_limited')),
    detail     TEXT    NOT NULL DEFAULT '',
    latency_ms INTEGER NOT NULL DEFAULT 0,
    at         INTEGER NOT NULL,
    CONSTRAINT notification_deliveries_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX notification_deliveries_alert_idx ON notification_deliveries (alert_id, id);
CREATE INDEX notification_deliveries_org_idx ON notification_deliveries (org_id, id);
CREATE INDEX notification_deliveries_partner_idx ON notification_deliveries (partner_id, id);
CREATE INDEX notification_deliveries_site_idx ON notification_deliveries (site_id, id);
