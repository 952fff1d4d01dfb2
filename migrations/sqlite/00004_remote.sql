-- +goose Up
-- Remote work: commands, the script library and its runs, WebSocket tickets.
--
-- Same conventions as 00001..00003 (UUIDv7 text ids, STRICT tables, INTEGER
-- unix-microsecond times, NULL for "never"). Optional references that are
-- history rather than structure (batch, script, requesting user) are text
-- holding '' for none and carry no foreign key: a run or a command outlives
-- the script or the user that made it, as audit rows do.

-- One command for one device. partner/org/site are copied from the device
-- at creation (scoping needs no join, and a later move of the device does
-- not move its history). A rowid table on purpose: results carry up to
-- megabytes of output, which WITHOUT ROWID tables store badly. Devices are
-- hard-deleted (Devices().Delete), so their commands go with them.
CREATE TABLE commands (
    id              TEXT    NOT NULL PRIMARY KEY,
    partner_id      TEXT    NOT NULL,
    org_id          TEXT    NOT NULL,
    site_id         TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action <> ''),
    payload         TEXT    NOT NULL DEFAULT '', -- JSON, or empty
    idempotency_key TEXT    NOT NULL DEFAULT '',
    batch_id        TEXT    NOT NULL DEFAULT '',
    script_id       TEXT    NOT NULL DEFAULT '',
    requested_by    TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL CHECK (status IN
        ('queued', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'expired', 'cancelled')),
    timeout_seconds INTEGER NOT NULL DEFAULT 0 CHECK (timeout_seconds >= 0),
    output_cap      INTEGER NOT NULL DEFAULT 0 CHECK (output_cap >= 0),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    sent_at         INTEGER,
    started_at      INTEGER,
    finished_at     INTEGER,
    exit_code       INTEGER,
    stdout          TEXT    NOT NULL DEFAULT '',
    stderr          TEXT    NOT NULL DEFAULT '',
    truncated       INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    error           TEXT    NOT NULL DEFAULT '',
    data            TEXT    NOT NULL DEFAULT '', -- JSON, or empty
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    CONSTRAINT commands_device_fk FOREIGN KEY (device_id)
        REFERENCES devices (id) ON DELETE CASCADE
) STRICT;

-- A device's commands, newest first (list by device, GetForDevice, cascade).
CREATE INDEX commands_device_idx ON commands (device_id, id);
-- The link's Pending lookup: only unfinished commands are in it.
CREATE INDEX commands_pending_idx ON commands (device_id, id)
    WHERE status IN ('queued', 'sent', 'running');
-- Status filter and the expiry sweep of queued commands.
CREATE INDEX commands_status_idx ON commands (status, id);
CREATE INDEX commands_batch_idx ON commands (batch_id, status) WHERE batch_id <> '';
CREATE INDEX commands_org_idx ON commands (org_id, id);
CREATE INDEX commands_site_idx ON commands (site_id, id);
CREATE INDEX commands_partner_idx ON commands (partner_id, id);
-- A retried POST with the same key finds the first command.
CREATE UNIQUE INDEX commands_idempotency_key ON commands (device_id, idempotency_key)
    WHERE idempotency_key <> '';

-- The library: an org's own script (org_id set) or one shared by a partner
-- with all its orgs (org_id NULL). Names are unique per (partner, org),
-- case-insensitively (NOCASE). A script goes with its org or partner, which
-- can only be deleted once empty of devices.
CREATE TABLE scripts (
    id              TEXT    NOT NULL PRIMARY KEY,
    partner_id      TEXT    NOT NULL,
    org_id          TEXT,
    name            TEXT    NOT NULL COLLATE NOCASE,
    description     TEXT    NOT NULL DEFAULT '',
    language        TEXT    NOT NULL CHECK (language <> ''),
    body            TEXT    NOT NULL,
    params          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(params)),
    timeout_seconds INTEGER NOT NULL DEFAULT 0 CHECK (timeout_seconds >= 0),
    run_as          TEXT    NOT NULL DEFAULT '',
    os_filter       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(os_filter)),
    version         INTEGER NOT NULL DEFAULT 1,
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT scripts_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    -- not enforced while org_id is NULL (a partner-wide script)
    CONSTRAINT scripts_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;

CREATE UNIQUE INDEX scripts_name_key ON scripts (partner_id, coalesce(org_id, ''), name);
CREATE INDEX scripts_org_idx ON scripts (org_id, id);
CREATE INDEX scripts_partner_idx ON scripts (partner_id, id);

-- Every content a script has had, the current one included.
CREATE TABLE script_versions (
    script_id       TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    language        TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    params          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(params)),
    timeout_seconds INTEGER NOT NULL DEFAULT 0,
    run_as          TEXT    NOT NULL DEFAULT '',
    os_filter       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(os_filter)),
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (script_id, version),
    CONSTRAINT script_versions_script_fk FOREIGN KEY (script_id)
        REFERENCES scripts (id) ON DELETE CASCADE
) STRICT;

-- One run of a script on a set of devices of one org; its per-device
-- results are the commands with batch_id = id. script_id has no foreign
-- key: the run stays in the history when the script is deleted.
CREATE TABLE script_runs (
    id             TEXT    NOT NULL PRIMARY KEY,
    partner_id     TEXT    NOT NULL,
    org_id         TEXT    NOT NULL,
    script_id      TEXT    NOT NULL,
    script_version INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('devices', 'group', 'site', 'org')),
    target_id      TEXT    NOT NULL DEFAULT '',
    device_ids     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(device_ids)),
    params         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    requested_by   TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    CONSTRAINT script_runs_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX script_runs_org_idx ON script_runs (org_id, id);
CREATE INDEX script_runs_partner_idx ON script_runs (partner_id, id);
CREATE INDEX script_runs_script_idx ON script_runs (script_id, id);

-- One-use browser WebSocket tickets, by hash. Consume deletes the row;
-- expired rows wait for Prune. No foreign keys: a ticket lives 30 s.
CREATE TABLE ws_tickets (
    id         TEXT    NOT NULL PRIMARY KEY,
    hash       TEXT    NOT NULL,
    user_id    TEXT    NOT NULL DEFAULT '',
    session_id TEXT    NOT NULL DEFAULT '',
    purpose    TEXT    NOT NULL CHECK (purpose <> ''),
    device_id  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CONSTRAINT ws_tickets_hash_key UNIQUE (hash)
) WITHOUT ROWID, STRICT;

CREATE INDEX ws_tickets_expires_idx ON ws_tickets (expires_at);
