-- +goose Up
-- Agent link: enrollment keys, agent tokens, telemetry and inventory.
--
-- Same conventions as 00001 and 00002 (application-made UUIDv7 ids,
-- timestamptz in UTC truncated to microseconds, named constraints). Only the
-- SHA-256 of a key or token is kept. Everything that belongs to one device
-- goes with it (ON DELETE CASCADE), so a hard delete of a device still works.

-- An enrollment key lets agents join a site (and optionally a group). It
-- goes with its site. Deleting its group only clears group_id: the key still
-- enrolls into the site (PostgreSQL 15's SET NULL column list keeps org_id,
-- which the composite key shares with the site key).
CREATE TABLE enrollment_keys (
    id         uuid        PRIMARY KEY,
    partner_id uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    site_id    uuid        NOT NULL,
    group_id   uuid,
    name       text        NOT NULL CHECK (length(btrim(name)) > 0),
    prefix     text        NOT NULL DEFAULT '',
    key_hash   text        NOT NULL CHECK (key_hash <> ''),
    expires_at timestamptz NOT NULL,
    max_uses   integer     NOT NULL DEFAULT 0, -- 0: unlimited
    uses       integer     NOT NULL DEFAULT 0,
    revoked_at timestamptz,
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    CONSTRAINT enrollment_keys_uses_check CHECK (max_uses >= 0 AND uses >= 0),
    CONSTRAINT enrollment_keys_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE,
    CONSTRAINT enrollment_keys_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE,
    CONSTRAINT enrollment_keys_group_fk FOREIGN KEY (group_id, org_id)
        REFERENCES device_groups (id, org_id) ON DELETE SET NULL (group_id),
    CONSTRAINT enrollment_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX enrollment_keys_org_idx ON enrollment_keys (org_id, id);
CREATE INDEX enrollment_keys_site_idx ON enrollment_keys (site_id, id);
CREATE INDEX enrollment_keys_group_idx ON enrollment_keys (group_id) WHERE group_id IS NOT NULL;

-- One live token per device; Set replaces it. Revoked rows stay until the
-- next Set so Lookup can tell nothing about them.
CREATE TABLE agent_tokens (
    device_id  uuid        PRIMARY KEY,
    token_hash text        NOT NULL CHECK (token_hash <> ''),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT agent_tokens_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE,
    CONSTRAINT agent_tokens_token_hash_key UNIQUE (token_hash)
);

-- Heartbeat samples. A redelivered sample (same device, same at) is ignored
-- by the adapter (ON CONFLICT DO NOTHING on the primary key), which also
-- serves the per-device chart query. Counters are bigint: the adapter clamps
-- uint64 values above 2^63-1. detail is the JSON of per-disk and
-- per-interface figures, kept as text (it is only read back whole).
CREATE TABLE device_metrics (
    device_id     uuid             NOT NULL,
    at            timestamptz      NOT NULL,
    cpu_percent   double precision NOT NULL DEFAULT 0,
    memory_used   bigint           NOT NULL DEFAULT 0,
    memory_total  bigint           NOT NULL DEFAULT 0,
    disk_used     bigint           NOT NULL DEFAULT 0,
    disk_total    bigint           NOT NULL DEFAULT 0,
    net_rx_bps    double precision NOT NULL DEFAULT 0,
    net_tx_bps    double precision NOT NULL DEFAULT 0,
    load1         double precision NOT NULL DEFAULT 0,
    uptime        bigint           NOT NULL DEFAULT 0,
    process_count integer          NOT NULL DEFAULT 0,
    detail        text             NOT NULL DEFAULT '',
    CONSTRAINT device_metrics_pkey PRIMARY KEY (device_id, at),
    CONSTRAINT device_metrics_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
);
-- Rows are appended roughly in time order and only removed by age (Prune),
-- so a BRIN index on at finds the old pages for a fraction of a B-tree's
-- cost on every insert (measured: about 12 % of the server time of a
-- 1000-sample Write). autosummarize keeps newly filled ranges summarised.
CREATE INDEX device_metrics_at_idx ON device_metrics USING brin (at) WITH (autosummarize = on);

-- Each device's newest sample, upserted by Write only when the new one is
-- newer, so a late buffered heartbeat never hides a fresher one. Rewritten
-- on every heartbeat without touching an indexed column: room in each page
-- keeps those updates HOT.
CREATE TABLE device_latest (
    device_id     uuid             PRIMARY KEY,
    at            timestamptz      NOT NULL,
    cpu_percent   double precision NOT NULL DEFAULT 0,
    memory_used   bigint           NOT NULL DEFAULT 0,
    memory_total  bigint           NOT NULL DEFAULT 0,
    disk_used     bigint           NOT NULL DEFAULT 0,
    disk_total    bigint           NOT NULL DEFAULT 0,
    net_rx_bps    double precision NOT NULL DEFAULT 0,
    net_tx_bps    double precision NOT NULL DEFAULT 0,
    load1         double precision NOT NULL DEFAULT 0,
    uptime        bigint           NOT NULL DEFAULT 0,
    process_count integer          NOT NULL DEFAULT 0,
    detail        text             NOT NULL DEFAULT '',
    CONSTRAINT device_latest_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) WITH (fillfactor = 70);

-- The last full inventory of each device (JSON text, replaced whole).
CREATE TABLE device_inventory (
    device_id  uuid        PRIMARY KEY,
    updated_at timestamptz NOT NULL,
    document   text        NOT NULL,
    CONSTRAINT device_inventory_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
);
