-- +goose Up
-- Agent link: enrollment keys, agent tokens, telemetry, inventory.
--
-- Same conventions as 00001 and 00002 (UUIDv7 text ids, STRICT tables,
-- INTEGER unix-microsecond times, NULL for "never"). Only SHA-256 hashes of
-- secrets are kept. Everything hanging off a device goes with it (CASCADE),
-- so Devices().Delete still removes a device in one statement.

-- An enrollment key belongs to a site (and so its org and partner) and may
-- put the devices it enrolls into a group. The group reference is a single
-- column foreign key so that deleting the group only clears it (SET NULL):
-- a composite (group_id, org_id) key would null org_id too. That the group
-- is in the key's org, and org-wide or in its site, is checked by the store
-- when the key is created; a group never changes org or site afterwards.
CREATE TABLE enrollment_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    partner_id TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    site_id    TEXT    NOT NULL,
    group_id   TEXT,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL DEFAULT '',
    key_hash   TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    max_uses   INTEGER NOT NULL DEFAULT 0 CHECK (max_uses >= 0), -- 0: unlimited
    uses       INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    revoked_at INTEGER,
    created_by TEXT    NOT NULL DEFAULT '', -- a user id; no foreign key, like the audit log
    created_at INTEGER NOT NULL,
    CONSTRAINT enrollment_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT enrollment_keys_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE,
    CONSTRAINT enrollment_keys_group_fk FOREIGN KEY (group_id)
        REFERENCES device_groups (id) ON DELETE SET NULL
) WITHOUT ROWID, STRICT;

CREATE INDEX enrollment_keys_partner_idx ON enrollment_keys (partner_id, id);
CREATE INDEX enrollment_keys_org_idx ON enrollment_keys (org_id, id);
CREATE INDEX enrollment_keys_site_idx ON enrollment_keys (site_id, id);
-- serves ON DELETE SET NULL when a group is deleted
CREATE INDEX enrollment_keys_group_idx ON enrollment_keys (group_id);

-- One token per device; Set replaces it, Revoke stamps revoked_at.
CREATE TABLE agent_tokens (
    device_id  TEXT    NOT NULL PRIMARY KEY,
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    CONSTRAINT agent_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT agent_tokens_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

-- The presence sweeper's query: online devices not seen since a cutoff,
-- oldest first, a never-seen one (NULL) first of all. Partial: only online
-- devices are in it; the expression must match the query's exactly.
CREATE INDEX devices_online_seen_idx ON devices (coalesce(last_seen_at, 0)) WHERE status = 'online';

-- Heartbeat samples. A rowid table on purpose: rows are appended in arrival
-- (about time) order, so a batch of 500 samples over 500 devices dirties a
-- few data pages; clustering the rows by device (WITHOUT ROWID on
-- (device_id, at)) dirtied one 4 KiB page per device per batch and wrote
-- twice the bytes for two thirds of the rate. The unique key serves Query
-- (one device's time range), makes a redelivered sample a no-op and lets a
-- device delete cascade. Byte counts are INTEGER (signed 64-bit: the store
-- clamps larger values).
CREATE TABLE device_metrics (
    device_id     TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    cpu_percent   REAL    NOT NULL DEFAULT 0,
    memory_used   INTEGER NOT NULL DEFAULT 0,
    memory_total  INTEGER NOT NULL DEFAULT 0,
    disk_used     INTEGER NOT NULL DEFAULT 0,
    disk_total    INTEGER NOT NULL DEFAULT 0,
    net_rx_bps    REAL    NOT NULL DEFAULT 0,
    net_tx_bps    REAL    NOT NULL DEFAULT 0,
    load1         REAL    NOT NULL DEFAULT 0,
    uptime        INTEGER NOT NULL DEFAULT 0,
    process_count INTEGER NOT NULL DEFAULT 0,
    detail        TEXT    NOT NULL DEFAULT '', -- JSON, or empty
    CONSTRAINT device_metrics_sample_key UNIQUE (device_id, at),
    CONSTRAINT device_metrics_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) STRICT;

-- retention (Prune deletes by age)
CREATE INDEX device_metrics_at_idx ON device_metrics (at);

-- Each device's newest sample, for the device list and page.
CREATE TABLE device_latest (
    device_id     TEXT    NOT NULL PRIMARY KEY,
    at            INTEGER NOT NULL,
    cpu_percent   REAL    NOT NULL DEFAULT 0,
    memory_used   INTEGER NOT NULL DEFAULT 0,
    memory_total  INTEGER NOT NULL DEFAULT 0,
    disk_used     INTEGER NOT NULL DEFAULT 0,
    disk_total    INTEGER NOT NULL DEFAULT 0,
    net_rx_bps    REAL    NOT NULL DEFAULT 0,
    net_tx_bps    REAL    NOT NULL DEFAULT 0,
    load1         REAL    NOT NULL DEFAULT 0,
    uptime        INTEGER NOT NULL DEFAULT 0,
    process_count INTEGER NOT NULL DEFAULT 0,
    detail        TEXT    NOT NULL DEFAULT '',
    CONSTRAINT device_latest_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

-- The last inventory document a device reported (JSON), kept whole. A rowid
-- table: documents with a full software list span many pages.
CREATE TABLE device_inventory (
    device_id  TEXT    NOT NULL PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    document   TEXT    NOT NULL CHECK (json_valid(document)),
    CONSTRAINT device_inventory_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) STRICT;
