-- +goose Up
-- Discovery scan jobs (one run of a profile), their discover commands and
-- the live hosts their pages named (the probe phase's targets). The
-- profile is not a foreign key: a job outlives its profile as history.
CREATE TABLE discovery_scans (
    id           uuid        PRIMARY KEY,
    partner_id   uuid        NOT NULL,
    org_id       uuid        NOT NULL,
    site_id      uuid        NOT NULL,
    profile_id   uuid        NOT NULL,
    status       text        NOT NULL CHECK (status IN
        ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    phase        text        NOT NULL CHECK (phase IN ('sweep', 'probe')),
    partial      boolean     NOT NULL DEFAULT false,
    addresses    integer     NOT NULL DEFAULT 0 CHECK (addresses >= 0),
    scanned      bigint      NOT NULL DEFAULT 0 CHECK (scanned >= 0),
    assets_found integer     NOT NULL DEFAULT 0 CHECK (assets_found >= 0),
    error        text        NOT NULL DEFAULT '',
    requested_by text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    deadline     timestamptz NOT NULL,
    plan         jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT discovery_scans_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE
);
CREATE INDEX discovery_scans_org_idx ON discovery_scans (org_id, id);
CREATE INDEX discovery_scans_partner_idx ON discovery_scans (partner_id, id);
CREATE INDEX discovery_scans_site_idx ON discovery_scans (site_id, id);
CREATE INDEX discovery_scans_profile_idx ON discovery_scans (profile_id, id);

CREATE TABLE discovery_scan_commands (
    command_id uuid    PRIMARY KEY,
    job_id     uuid    NOT NULL REFERENCES discovery_scans (id) ON DELETE CASCADE,
    device_id  uuid    NOT NULL,
    phase      text    NOT NULL CHECK (phase IN ('sweep', 'probe')),
    plugin     text    NOT NULL,
    pages      integer NOT NULL DEFAULT 0,
    last_seq   integer NOT NULL DEFAULT 0,
    assets     integer NOT NULL DEFAULT 0,
    scanned    bigint  NOT NULL DEFAULT 0
);
CREATE INDEX discovery_scan_commands_job_idx ON discovery_scan_commands (job_id);

CREATE TABLE discovery_scan_hosts (
    job_id uuid NOT NULL REFERENCES discovery_scans (id) ON DELETE CASCADE,
    ip     text NOT NULL,
    PRIMARY KEY (job_id, ip)
);
