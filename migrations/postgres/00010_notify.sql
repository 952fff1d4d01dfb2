-- +goose Up
-- Notifications: routes (an org's own, or its partner's default) sending
-- alerts of some severities to an alert-channel plugin, and the delivery
-- log of every attempt (the dead ones are the dead-letter list).
CREATE TABLE notification_routes (
    id            uuid        PRIMARY KEY,
    partner_id    uuid        NOT NULL,
    org_id        uuid,
    name          text        NOT NULL CHECK (length(btrim(name)) > 0),
    channel_id    text        NOT NULL CHECK (channel_id <> ''),
    severities    jsonb       NOT NULL DEFAULT '[]',
    rate_per_hour integer     NOT NULL DEFAULT 0 CHECK (rate_per_hour >= 0),
    enabled       boolean     NOT NULL DEFAULT TRUE,
    created_by    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    CONSTRAINT notification_routes_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT notification_routes_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX notification_routes_name_key ON notification_routes (partner_id, org_id, lower(name)) NULLS NOT DISTINCT;
CREATE INDEX notification_routes_org_idx ON notification_routes (org_id, id);
CREATE INDEX notification_routes_partner_idx ON notification_routes (partner_id, id);

CREATE TABLE notification_deliveries (
    id         uuid        PRIMARY KEY,
    alert_id   uuid        NOT NULL,
    route_id   uuid        NOT NULL,
    partner_id uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    site_id    uuid        NOT NULL,
    channel_id text        NOT NULL,
    transition text        NOT NULL,
    attempt    integer     NOT NULL,
    outcome    text        NOT NULL CHECK (outcome IN ('delivered', 'failed', 'dead', 'rate_limited')),
    detail     text        NOT NULL DEFAULT '',
    latency_ms bigint      NOT NULL DEFAULT 0,
    at         timestamptz NOT NULL,
    CONSTRAINT notification_deliveries_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
);
CREATE INDEX notification_deliveries_alert_idx ON notification_deliveries (alert_id, id);
CREATE INDEX notification_deliveries_org_idx ON notification_deliveries (org_id, id);
CREATE INDEX notification_deliveries_partner_idx ON notification_deliveries (partner_id, id);
CREATE INDEX notification_deliveries_site_idx ON notification_deliveries (site_id, id);
CREATE INDEX notification_deliveries_dead_idx ON notification_deliveries (id) WHERE outcome = 'dead';
