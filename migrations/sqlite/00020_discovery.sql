-- +goose Up
-- Network discovery: per-site scan profiles, per-org settings (the ranges
-- profiles may target), discovered assets unique per (site, ip), and the
-- assets' events (new, gone, back, ports changed, actions).
CREATE TABLE discovery_profiles (
    id                 TEXT    NOT NULL PRIMARY KEY,
    partner_id         TEXT    NOT NULL,
    org_id             TEXT    NOT NULL,
    site_id            TEXT    NOT NULL,
    name               TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    targets            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(targets)),
    exclusions         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(exclusions)),
    methods            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(methods)),
    ports              TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(ports)),
    rate_per_second    INTEGER NOT NULL CHECK (rate_per_second > 0),
    concurrency        INTEGER NOT NULL CHECK (concurrency > 0),
    timeout_seconds    INTEGER NOT NULL CHECK (timeout_seconds > 0),
    scanner_device_ids TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(scanner_device_ids)),
    split              INTEGER NOT NULL DEFAULT 0 CHECK (split IN (0, 1)),
    snmp               TEXT    CHECK (snmp IS NULL OR json_valid(snmp)),
    addresses          INTEGER NOT NULL DEFAULT 0,
    created_by         TEXT    NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT discovery_profiles_name_key UNIQUE (site_id, name),
    CONSTRAINT discovery_profiles_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX discovery_profiles_org_idx ON discovery_profiles (org_id, id);
CREATE INDEX discovery_profiles_partner_idx ON discovery_profiles (partner_id, id);

CREATE TABLE discovery_settings (
    org_id         TEXT    NOT NULL PRIMARY KEY,
    partner_id     TEXT    NOT NULL,
    allowed_ranges TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_ranges)),
    version        INTEGER NOT NULL DEFAULT 1,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT discovery_settings_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE discovery_assets (
    id           TEXT    NOT NULL PRIMARY KEY,
    partner_id   TEXT    NOT NULL,
    org_id       TEXT    NOT NULL,
    site_id      TEXT    NOT NULL,
    ip           TEXT    NOT NULL,
    mac          TEXT    NOT NULL DEFAULT '',
    hostnames    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(hostnames)),
    vendor       TEXT    NOT NULL DEFAULT '',
    open_ports   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(open_ports)),
    prev_ports   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(prev_ports)),
    ports_job_id TEXT    NOT NULL DEFAULT '',
    attributes   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    state        TEXT    NOT NULL CHECK (state IN ('candidate', 'managed', 'tracked', 'ignored')),
    device_id    TEXT,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    gone         INTEGER NOT NULL DEFAULT 0 CHECK (gone IN (0, 1)),
    first_job_id TEXT    NOT NULL DEFAULT '',
    last_job_id  TEXT    NOT NULL DEFAULT '',
    seen_by_jobs TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(seen_by_jobs)),
    profile_ids  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(profile_ids)),
    search       TEXT    NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CONSTRAINT discovery_assets_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX discovery_assets_site_ip_key ON discovery_assets (site_id, ip);
CREATE INDEX discovery_assets_org_idx ON discovery_assets (org_id, id);
CREATE INDEX discovery_assets_partner_idx ON discovery_assets (partner_id, id);

CREATE TABLE discovery_asset_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    asset_id   TEXT    NOT NULL REFERENCES discovery_assets (id) ON DELETE CASCADE,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    site_id    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    job_id     TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
) STRICT;
CREATE INDEX discovery_asset_events_asset_idx ON discovery_asset_events (asset_id, id DESC);
