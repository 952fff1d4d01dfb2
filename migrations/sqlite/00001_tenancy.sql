-- +goose Up
-- Tenancy: partner -> organization -> site -> device group -> device.
--
-- Conventions (SQLite):
--   * ids are UUIDv7 text (domain.NewID), so the primary key sorts by creation
--     and cursor pagination is `id > ? ORDER BY id`. Tables are WITHOUT ROWID
--     (the text key is the row key: no second index) and STRICT (types enforced).
--   * every tenant row repeats partner_id / org_id of its parents so a scope
--     filter never needs a join. Composite foreign keys (parent id + the
--     denormalised ids) make those copies agree with the parent row.
--   * parents are ON DELETE RESTRICT: deleting a parent that still has children
--     fails, and the store answers domain.ErrConflict.
--   * times are INTEGER unix microseconds UTC; version is the optimistic
--     concurrency counter, bumped by every update.
--   * display names are COLLATE NOCASE (ASCII case folding): "Acme" and "acme"
--     under one parent are a typo, not two customers, so uniqueness ignores
--     case, as does the name search. Hostnames are NOCASE too (DNS names are
--     case-insensitive) but not unique.

CREATE TABLE partners (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL COLLATE NOCASE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT partners_name_key UNIQUE (name)
) WITHOUT ROWID, STRICT;

CREATE TABLE organizations (
    id         TEXT    NOT NULL PRIMARY KEY,
    partner_id TEXT    NOT NULL,
    name       TEXT    NOT NULL COLLATE NOCASE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (partner_id, name),
    -- parent key for children's composite foreign keys
    CONSTRAINT organizations_tenant_key UNIQUE (id, partner_id),
    CONSTRAINT organizations_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE RESTRICT
) WITHOUT ROWID, STRICT;

CREATE INDEX organizations_partner_idx ON organizations (partner_id, id);

CREATE TABLE sites (
    id         TEXT    NOT NULL PRIMARY KEY,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    name       TEXT    NOT NULL COLLATE NOCASE,
    timezone   TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT sites_name_key UNIQUE (org_id, name),
    CONSTRAINT sites_tenant_key UNIQUE (id, org_id, partner_id),
    CONSTRAINT sites_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT
) WITHOUT ROWID, STRICT;

CREATE INDEX sites_org_idx ON sites (org_id, id);
CREATE INDEX sites_partner_idx ON sites (partner_id, id);

-- site_id NULL is an org-wide group.
CREATE TABLE device_groups (
    id         TEXT    NOT NULL PRIMARY KEY,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    site_id    TEXT,
    name       TEXT    NOT NULL COLLATE NOCASE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT device_groups_tenant_key UNIQUE (id, org_id),
    CONSTRAINT device_groups_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT,
    -- not enforced while site_id is NULL (org-wide group)
    CONSTRAINT device_groups_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE RESTRICT
) WITHOUT ROWID, STRICT;

-- A plain UNIQUE (org_id, site_id, name) would let org-wide groups (NULL
-- site_id) repeat a name, since NULLs are distinct; coalesce folds them.
-- The name keeps its NOCASE collation in the index.
CREATE UNIQUE INDEX device_groups_name_key
    ON device_groups (org_id, coalesce(site_id, ''), name);
CREATE INDEX device_groups_org_idx ON device_groups (org_id, id);
CREATE INDEX device_groups_site_idx ON device_groups (site_id, id);
CREATE INDEX device_groups_partner_idx ON device_groups (partner_id, id);

CREATE TABLE devices (
    id            TEXT    NOT NULL PRIMARY KEY,
    partner_id    TEXT    NOT NULL,
    org_id        TEXT    NOT NULL,
    site_id       TEXT    NOT NULL,
    group_id      TEXT,
    hostname      TEXT    NOT NULL COLLATE NOCASE,
    os            TEXT    NOT NULL DEFAULT '',
    arch          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('online', 'offline', 'pending', 'decommissioned')),
    last_seen_at  INTEGER,
    agent_version TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CONSTRAINT devices_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE RESTRICT,
    -- the group is in the device's org; "org-wide or in the device's site"
    -- is checked by the store
    CONSTRAINT devices_group_fk FOREIGN KEY (group_id, org_id)
        REFERENCES device_groups (id, org_id) ON DELETE RESTRICT
) WITHOUT ROWID, STRICT;

-- Indexes for the device list filters, each ending in id for the cursor.
CREATE INDEX devices_org_idx ON devices (org_id, id);
CREATE INDEX devices_site_idx ON devices (site_id, id);
CREATE INDEX devices_group_idx ON devices (group_id, id);
CREATE INDEX devices_partner_idx ON devices (partner_id, id);
CREATE INDEX devices_status_idx ON devices (status, id);
-- Serves prefix search and hostname sorting; a substring search scans.
CREATE INDEX devices_hostname_idx ON devices (hostname);
