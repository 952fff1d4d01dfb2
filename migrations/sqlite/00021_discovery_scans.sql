-- +goose Up
-- Discovery scan jobs (one run of a profile), their discover commands and
-- the live hosts their pages named (the probe phase's targets). The
-- profile is not a foreign key: a job outlives its profile as history.
CREATE TABLE discovery_scans (
    id           TEXT    NOT NULL PRIMARY KEY,
    partner_id   TEXT    NOT NULL,
    org_id       TEXT    NOT NULL,
    site_id      TEXT    NOT NULL,
    profile_id   TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN
        ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    phase        TEXT    NOT NULL CHECK (phase IN ('sweep', 'probe')),
    partial      INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
    addresses    INTEGER NOT NULL DEFAULT 0 CHECK (addresses >= 0),
    scanned      INTEGER NOT NULL DEFAULT 0 CHECK (scanned >= 0),
    assets_found INTEGER NOT NULL DEFAULT 0 CHECK (assets_found >= 0),
    error        TEXT    NOT NULL DEFAULT '',
    requested_by TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    deadline     INTEGER NOT NULL,
    plan         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(plan)),
    CONSTRAINT discovery_scans_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX discovery_scans_org_idx ON discovery_scans (org_id, id);
CREATE INDEX discovery_scans_partner_idx ON discovery_scans (partner_id, id);
CREATE INDEX discovery_scans_site_idx ON discovery_scans (site_id, id);
CREATE INDEX discovery_scans_profile_idx ON discovery_scans (profile_id, id);

CREATE TABLE discovery_scan_commands (
    command_id TEXT    NOT NULL PRIMARY KEY,
    job_id     TEXT    NOT NULL REFERENCES discovery_scans (id) ON DELETE CASCADE,
    device_id  TEXT    NOT NULL,
    phase      TEXT    NOT NULL CHECK (phase IN ('sweep', 'probe')),
    plugin     TEXT    NOT NULL,
    pages      INTEGER NOT NULL DEFAULT 0,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    assets     INTEGER NOT NULL DEFAULT 0,
    scanned    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX discovery_scan_commands_job_idx ON discovery_scan_commands (job_id);

CREATE TABLE discovery_scan_hosts (
    job_id TEXT NOT NULL REFERENCES discovery_scans (id) ON DELETE CASCADE,
    ip     TEXT NOT NULL,
    PRIMARY KEY (job_id, ip)
) STRICT, WITHOUT ROWID;
