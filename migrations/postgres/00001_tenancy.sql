-- +goose Up
-- Tenant hierarchy: partner → organization → site → device group → device.
--
-- Choices (the SQLite schema states the same rules in its own dialect):
--   * ids are UUIDv7 made by the application; times are timestamptz, written
--     in UTC and truncated to microseconds by the application.
--   * partner_id / org_id are denormalised on every tenant row so scope
--     filters need no joins. Composite foreign keys tie them to the parent
--     row, so a denormalised column can never disagree with its parent.
--   * every foreign key is ON DELETE RESTRICT: deleting a parent that still
--     has children fails (the adapter answers ErrConflict "still has ...").
--   * names are unique case-insensitively through unique indexes on
--     lower(name) (SQLite uses COLLATE NOCASE; lower() here also folds
--     non-ASCII letters, which is the stricter of the two).

-- Trigram index support for hostname substring search (ILIKE '%q%').
-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may
-- create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE partners (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL CHECK (length(btrim(name)) > 0),
    version    bigint      NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX partners_name_key ON partners (lower(name));

CREATE TABLE organizations (
    id         uuid        PRIMARY KEY,
    partner_id uuid        NOT NULL,
    name       text        NOT NULL CHECK (length(btrim(name)) > 0),
    version    bigint      NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT organizations_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE RESTRICT,
    -- target of the composite foreign keys below
    CONSTRAINT organizations_id_partner_key UNIQUE (id, partner_id)
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (partner_id, lower(name));

CREATE TABLE sites (
    id         uuid        PRIMARY KEY,
    partner_id uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    name       text        NOT NULL CHECK (length(btrim(name)) > 0),
    timezone   text        NOT NULL DEFAULT '',
    version    bigint      NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT sites_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT,
    CONSTRAINT sites_id_org_key UNIQUE (id, org_id)
);
CREATE UNIQUE INDEX sites_name_key ON sites (org_id, lower(name));

CREATE TABLE device_groups (
    id         uuid        PRIMARY KEY,
    partner_id uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    site_id    uuid,       -- NULL: an org-wide group
    name       text        NOT NULL CHECK (length(btrim(name)) > 0),
    version    bigint      NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT device_groups_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT,
    CONSTRAINT device_groups_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE RESTRICT,
    CONSTRAINT device_groups_id_org_key UNIQUE (id, org_id)
);
-- A NULL site counts as one value, so two org-wide groups cannot share a name.
CREATE UNIQUE INDEX device_groups_name_key ON device_groups
    (org_id, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));
CREATE INDEX device_groups_site_idx ON device_groups (site_id, id);

CREATE TABLE devices (
    id            uuid        PRIMARY KEY,
    partner_id    uuid        NOT NULL,
    org_id        uuid        NOT NULL,
    site_id       uuid        NOT NULL,
    group_id      uuid,
    hostname      text        NOT NULL CHECK (length(btrim(hostname)) > 0),
    os            text        NOT NULL DEFAULT '',
    arch          text        NOT NULL DEFAULT '',
    status        text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('online', 'offline', 'pending', 'decommissioned')),
    last_seen_at  timestamptz,
    agent_version text        NOT NULL DEFAULT '',
    version       bigint      NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT devices_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT,
    CONSTRAINT devices_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE RESTRICT,
    CONSTRAINT devices_group_fk FOREIGN KEY (group_id, org_id)
        REFERENCES device_groups (id, org_id) ON DELETE RESTRICT
)
-- Agents rewrite their row on every report; free space in each page lets
-- those updates be HOT (no index writes) when no indexed column changes.
WITH (fillfactor = 80);
-- List filters page by id inside each filter. There is deliberately no
-- partner_id index: an install usually serves one partner, so it would not
-- narrow anything, and it tempts the planner into sorting the whole fleet
-- while statistics are missing; partner-wide lists walk the primary key.
CREATE INDEX devices_org_idx ON devices (org_id, id);
CREATE INDEX devices_site_idx ON devices (site_id, id);
CREATE INDEX devices_group_idx ON devices (group_id, id);
CREATE INDEX devices_org_status_idx ON devices (org_id, status, id);
CREATE INDEX devices_hostname_trgm_idx ON devices USING gin (hostname gin_trgm_ops);
