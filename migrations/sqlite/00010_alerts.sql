-- +goose Up
-- Monitoring: alert rules (an org's own, or partner-wide), alerts (one
-- unresolved per rule and device, enforced by a partial unique index so
-- two writers can never open the same alert twice) and every transition.
CREATE TABLE alert_rules (
    id                 TEXT    NOT NULL PRIMARY KEY,
    partner_id         TEXT    NOT NULL,
    org_id             TEXT,
    name               TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    description        TEXT    NOT NULL DEFAULT '',
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    severity           TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    kind               TEXT    NOT NULL CHECK (kind <> ''),
    params             TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    scope_kind         TEXT    NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group', 'devices')),
    scope_ids          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(scope_ids)),
    exclude_device_ids TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(exclude_device_ids)),
    renotify_seconds   INTEGER NOT NULL DEFAULT 0 CHECK (renotify_seconds >= 0),
    version            INTEGER NOT NULL DEFAULT 1,
    created_by         TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT alert_rules_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT alert_rules_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX alert_rules_name_key ON alert_rules (partner_id, coalesce(org_id, ''), name);
CREATE INDEX alert_rules_org_idx ON alert_rules (org_id, id);
CREATE INDEX alert_rules_partner_idx ON alert_rules (partner_id, id);

CREATE TABLE alerts (
    id              TEXT    NOT NULL PRIMARY KEY,
    partner_id      TEXT    NOT NULL,
    org_id          TEXT    NOT NULL,
    site_id         TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    rule_id         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    severity        TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state           TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    message         TEXT    NOT NULL DEFAULT '',
    value           REAL    NOT NULL DEFAULT 0,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT    NOT NULL DEFAULT '',
    resolved_at     INTEGER,
    resolved_by     TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 1,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT alerts_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE,
    CONSTRAINT alerts_rule_fk FOREIGN KEY (rule_id)
        REFERENCES alert_rules (id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX alerts_unresolved_key ON alerts (rule_id, device_id) WHERE state <> 'resolved';
CREATE INDEX alerts_org_idx ON alerts (org_id, id);
CREATE INDEX alerts_partner_idx ON alerts (partner_id, id);
CREATE INDEX alerts_site_idx ON alerts (site_id, id);
CREATE INDEX alerts_device_idx ON alerts (device_id, id);
CREATE INDEX alerts_kind_unresolved_idx ON alerts (kind, id) WHERE state <> 'resolved';

CREATE TABLE alert_transitions (
    id         INTEGER PRIMARY KEY,
    alert_id   TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL,
    CONSTRAINT alert_transitions_alert_fk FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, id);
