-- +goose Up
-- Monitoring: alert rules (an org's own, or partner-wide), alerts (one
-- unresolved per rule and device, enforced by a partial unique index so
-- two nodes can never open the same alert twice) and every transition.
CREATE TABLE alert_rules (
    id                 uuid        PRIMARY KEY,
    partner_id         uuid        NOT NULL,
    org_id             uuid,
    name               text        NOT NULL CHECK (length(btrim(name)) > 0),
    description        text        NOT NULL DEFAULT '',
    enabled            boolean     NOT NULL DEFAULT TRUE,
    severity           text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    kind               text        NOT NULL CHECK (kind <> ''),
    params             jsonb       NOT NULL DEFAULT '{}',
    scope_kind         text        NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group', 'devices')),
    scope_ids          jsonb       NOT NULL DEFAULT '[]',
    exclude_device_ids jsonb       NOT NULL DEFAULT '[]',
    renotify_seconds   integer     NOT NULL DEFAULT 0 CHECK (renotify_seconds >= 0),
    version            bigint      NOT NULL DEFAULT 1,
    created_by         text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT alert_rules_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT alert_rules_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_rules_name_key ON alert_rules (partner_id, org_id, lower(name)) NULLS NOT DISTINCT;
CREATE INDEX alert_rules_org_idx ON alert_rules (org_id, id);
CREATE INDEX alert_rules_partner_idx ON alert_rules (partner_id, id);

CREATE TABLE alerts (
    id              uuid        PRIMARY KEY,
    partner_id      uuid        NOT NULL,
    org_id          uuid        NOT NULL,
    site_id         uuid        NOT NULL,
    device_id       uuid        NOT NULL,
    rule_id         uuid        NOT NULL,
    kind            text        NOT NULL,
    severity        text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state           text        NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    message         text        NOT NULL DEFAULT '',
    value           double precision NOT NULL DEFAULT 0,
    opened_at       timestamptz NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by text        NOT NULL DEFAULT '',
    resolved_at     timestamptz,
    resolved_by     text        NOT NULL DEFAULT '',
    note            text        NOT NULL DEFAULT '',
    version         bigint      NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT alerts_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE,
    CONSTRAINT alerts_rule_fk FOREIGN KEY (rule_id)
        REFERENCES alert_rules (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alerts_unresolved_key ON alerts (rule_id, device_id) WHERE state <> 'resolved';
CREATE INDEX alerts_org_idx ON alerts (org_id, id);
CREATE INDEX alerts_partner_idx ON alerts (partner_id, id);
CREATE INDEX alerts_site_idx ON alerts (site_id, id);
CREATE INDEX alerts_device_idx ON alerts (device_id, id);
CREATE INDEX alerts_kind_unresolved_idx ON alerts (kind, id) WHERE state <> 'resolved';

CREATE TABLE alert_transitions (
    id         bigserial   PRIMARY KEY,
    alert_id   uuid        NOT NULL,
    from_state text        NOT NULL DEFAULT '',
    to_state   text        NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    note       text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    CONSTRAINT alert_transitions_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
);
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, id);
