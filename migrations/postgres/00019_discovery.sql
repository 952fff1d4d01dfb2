-- +goose Up
-- Network discovery: per-site scan profiles, per-org settings (the ranges
-- profiles may target), discovered assets unique per (site, ip), and the
-- assets' events (new, gone, back, ports changed, actions).
CREATE TABLE discovery_profiles (
    id                 uuid        PRIMARY KEY,
    partner_id         uuid        NOT NULL,
    org_id             uuid        NOT NULL,
    site_id            uuid        NOT NULL,
    name               text        NOT NULL CHECK (length(btrim(name)) > 0),
    targets            jsonb       NOT NULL DEFAULT '[]',
    exclusions         jsonb       NOT NULL DEFAULT '[]',
    methods            jsonb       NOT NULL DEFAULT '[]',
    ports              jsonb       NOT NULL DEFAULT '[]',
    rate_per_second    integer     NOT NULL CHECK (rate_per_second > 0),
    concurrency        integer     NOT NULL CHECK (concurrency > 0),
    timeout_seconds    integer     NOT NULL CHECK (timeout_seconds > 0),
    scanner_device_ids jsonb       NOT NULL DEFAULT '[]',
    split              boolean     NOT NULL DEFAULT FALSE,
    snmp               jsonb,
    addresses          integer     NOT NULL DEFAULT 0,
    created_by         text        NOT NULL DEFAULT '',
    version            bigint      NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT discovery_profiles_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX discovery_profiles_name_key ON discovery_profiles (site_id, lower(name));
CREATE INDEX discovery_profiles_org_idx ON discovery_profiles (org_id, id);
CREATE INDEX discovery_profiles_partner_idx ON discovery_profiles (partner_id, id);

CREATE TABLE discovery_settings (
    org_id         uuid        PRIMARY KEY,
    partner_id     uuid        NOT NULL,
    allowed_ranges jsonb       NOT NULL DEFAULT '[]',
    version        bigint      NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT discovery_settings_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);

CREATE TABLE discovery_assets (
    id           uuid        PRIMARY KEY,
    partner_id   uuid        NOT NULL,
    org_id       uuid        NOT NULL,
    site_id      uuid        NOT NULL,
    ip           text        NOT NULL,
    mac          text        NOT NULL DEFAULT '',
    hostnames    jsonb       NOT NULL DEFAULT '[]',
    vendor       text        NOT NULL DEFAULT '',
    open_ports   jsonb       NOT NULL DEFAULT '[]',
    prev_ports   jsonb       NOT NULL DEFAULT '[]',
    ports_job_id text        NOT NULL DEFAULT '',
    attributes   jsonb       NOT NULL DEFAULT '{}',
    state        text        NOT NULL CHECK (state IN ('candidate', 'managed', 'tracked', 'ignored')),
    device_id    uuid,
    first_seen   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL,
    gone         boolean     NOT NULL DEFAULT FALSE,
    first_job_id text        NOT NULL DEFAULT '',
    last_job_id  text        NOT NULL DEFAULT '',
    seen_by_jobs jsonb       NOT NULL DEFAULT '[]',
    profile_ids  jsonb       NOT NULL DEFAULT '[]',
    search       text        NOT NULL DEFAULT '',
    version      bigint      NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT discovery_assets_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX discovery_assets_site_ip_key ON discovery_assets (site_id, ip);
CREATE INDEX discovery_assets_org_idx ON discovery_assets (org_id, id);
CREATE INDEX discovery_assets_partner_idx ON discovery_assets (partner_id, id);

CREATE TABLE discovery_asset_events (
    id         uuid        PRIMARY KEY,
    asset_id   uuid        NOT NULL REFERENCES discovery_assets (id) ON DELETE CASCADE,
    partner_id uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    site_id    uuid        NOT NULL,
    kind       text        NOT NULL,
    ip         text        NOT NULL DEFAULT '',
    job_id     text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL
);
CREATE INDEX discovery_asset_events_asset_idx ON discovery_asset_events (asset_id, id DESC);
