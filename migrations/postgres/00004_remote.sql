-- +goose Up
-- Remote work: commands, the script library and its runs, WebSocket tickets.
--
-- Same conventions as 00001..00003 (application-made UUIDv7 ids,
-- timestamptz in UTC truncated to microseconds, named constraints).
-- References that are history rather than structure (batch, script,
-- requesting user) carry no foreign key: a run or a command outlives the
-- script or the user that made it, as audit rows do.

-- One command for one device. partner/org/site are copied from the device
-- at creation (scoping needs no join, and a later move of the device does
-- not move its history). Output is bytea: an agent's stdout need not be
-- UTF-8 and may hold NUL bytes, which text refuses. Devices are
-- hard-deleted (Devices().Delete), so their commands go with them.
CREATE TABLE commands (
    id              uuid        PRIMARY KEY,
    partner_id      uuid        NOT NULL,
    org_id          uuid        NOT NULL,
    site_id         uuid        NOT NULL,
    device_id       uuid        NOT NULL,
    action          text        NOT NULL CHECK (action <> ''),
    payload         jsonb,
    idempotency_key text        NOT NULL DEFAULT '',
    batch_id        uuid,
    script_id       uuid,
    requested_by    text        NOT NULL DEFAULT '',
    status          text        NOT NULL CHECK (status IN
        ('queued', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'expired', 'cancelled')),
    timeout_seconds integer     NOT NULL DEFAULT 0 CHECK (timeout_seconds >= 0),
    output_cap      integer     NOT NULL DEFAULT 0 CHECK (output_cap >= 0),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz,
    sent_at         timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    exit_code       integer,
    stdout          bytea       NOT NULL DEFAULT '',
    stderr          bytea       NOT NULL DEFAULT '',
    truncated       boolean     NOT NULL DEFAULT false,
    error           text        NOT NULL DEFAULT '',
    data            jsonb,
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    CONSTRAINT commands_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
);
-- A device's commands, newest first (list by device, GetForDevice, cascade).
CREATE INDEX commands_device_idx ON commands (device_id, id);
-- The link's Pending lookup: only unfinished commands are in it.
CREATE INDEX commands_pending_idx ON commands (device_id, id)
    WHERE status IN ('queued', 'sent', 'running');
-- Status filter and the expiry sweep of queued commands.
CREATE INDEX commands_status_idx ON commands (status, id);
CREATE INDEX commands_batch_idx ON commands (batch_id, status) WHERE batch_id IS NOT NULL;
CREATE INDEX commands_org_idx ON commands (org_id, id);
CREATE INDEX commands_site_idx ON commands (site_id, id);
-- A retried POST with the same key finds the first command.
CREATE UNIQUE INDEX commands_idempotency_key ON commands (device_id, idempotency_key)
    WHERE idempotency_key <> '';

-- The library: an org's own script (org_id set) or one shared by a partner
-- with all its orgs (org_id NULL). Names are unique per (partner, org),
-- case-insensitively. A script goes with its org or partner, which can only
-- be deleted once empty of devices.
CREATE TABLE scripts (
    id              uuid        PRIMARY KEY,
    partner_id      uuid        NOT NULL,
    org_id          uuid,
    name            text        NOT NULL CHECK (length(btrim(name)) > 0),
    description     text        NOT NULL DEFAULT '',
    language        text        NOT NULL CHECK (language <> ''),
    body            text        NOT NULL,
    params          jsonb       NOT NULL DEFAULT '[]',
    timeout_seconds integer     NOT NULL DEFAULT 0 CHECK (timeout_seconds >= 0),
    run_as          text        NOT NULL DEFAULT '',
    os_filter       text[]      NOT NULL DEFAULT '{}',
    version         bigint      NOT NULL DEFAULT 1,
    created_by      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT scripts_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    -- not enforced while org_id is NULL (a partner-wide script)
    CONSTRAINT scripts_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX scripts_name_key ON scripts (partner_id, org_id, lower(name)) NULLS NOT DISTINCT;
CREATE INDEX scripts_org_idx ON scripts (org_id, id);
CREATE INDEX scripts_partner_idx ON scripts (partner_id, id);

-- Every content a script has had, the current one included.
CREATE TABLE script_versions (
    script_id       uuid        NOT NULL,
    version         bigint      NOT NULL,
    language        text        NOT NULL,
    body            text        NOT NULL,
    params          jsonb       NOT NULL DEFAULT '[]',
    timeout_seconds integer     NOT NULL DEFAULT 0,
    run_as          text        NOT NULL DEFAULT '',
    os_filter       text[]      NOT NULL DEFAULT '{}',
    created_by      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    CONSTRAINT script_versions_pkey PRIMARY KEY (script_id, version),
    CONSTRAINT script_versions_script_fk FOREIGN KEY (script_id)
        REFERENCES scripts (id) ON DELETE CASCADE
);

-- One run of a script on a set of devices of one org; its per-device
-- results are the commands with batch_id = id. script_id has no foreign
-- key: the run stays in the history when the script is deleted.
CREATE TABLE script_runs (
    id             uuid        PRIMARY KEY,
    partner_id     uuid        NOT NULL,
    org_id         uuid        NOT NULL,
    script_id      uuid        NOT NULL,
    script_version bigint      NOT NULL,
    target_kind    text        NOT NULL CHECK (target_kind IN ('devices', 'group', 'site', 'org')),
    target_id      text        NOT NULL DEFAULT '',
    device_ids     jsonb       NOT NULL DEFAULT '[]',
    params         jsonb       NOT NULL DEFAULT '{}',
    requested_by   text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    CONSTRAINT script_runs_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
);
CREATE INDEX script_runs_org_idx ON script_runs (org_id, id);
CREATE INDEX script_runs_partner_idx ON script_runs (partner_id, id);
CREATE INDEX script_runs_script_idx ON script_runs (script_id, id);

-- One-use browser WebSocket tickets, by hash. Consume deletes the row;
-- expired rows wait for Prune. No foreign keys: a ticket lives 30 s.
CREATE TABLE ws_tickets (
    id         uuid        PRIMARY KEY,
    hash       text        NOT NULL CHECK (hash <> ''),
    user_id    text        NOT NULL DEFAULT '',
    session_id text        NOT NULL DEFAULT '',
    purpose    text        NOT NULL CHECK (purpose <> ''),
    device_id  text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT ws_tickets_hash_key UNIQUE (hash)
);
CREATE INDEX ws_tickets_expires_idx ON ws_tickets (expires_at);
