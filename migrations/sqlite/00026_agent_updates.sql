-- +goose Up
-- Agent self-update (see the postgres migration): builds, rollouts, and
-- each device's place in them.
CREATE TABLE agent_releases (
    id         TEXT    NOT NULL PRIMARY KEY,
    version    TEXT    NOT NULL CHECK (version <> ''),
    os         TEXT    NOT NULL CHECK (os <> ''),
    arch       TEXT    NOT NULL CHECK (arch <> ''),
    sha256     TEXT    NOT NULL CHECK (length(sha256) = 64),
    size       INTEGER NOT NULL CHECK (size > 0),
    signature  TEXT    NOT NULL,
    notes      TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    UNIQUE (version, os, arch)
) STRICT;

CREATE TABLE agent_rollouts (
    id                TEXT    NOT NULL PRIMARY KEY,
    partner_id        TEXT    NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    org_id            TEXT    NOT NULL DEFAULT '',
    site_id           TEXT    NOT NULL DEFAULT '',
    scope_kind        TEXT    NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group')),
    scope_id          TEXT    NOT NULL,
    version           TEXT    NOT NULL CHECK (version <> ''),
    stages            TEXT    NOT NULL CHECK (json_valid(stages)),
    pause_seconds     INTEGER NOT NULL DEFAULT 0 CHECK (pause_seconds >= 0),
    failure_threshold INTEGER NOT NULL CHECK (failure_threshold BETWEEN 0 AND 100),
    allow_downgrade   INTEGER NOT NULL DEFAULT 0 CHECK (allow_downgrade IN (0, 1)),
    trial_seconds     INTEGER NOT NULL DEFAULT 0 CHECK (trial_seconds >= 0),
    state             TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'stopped', 'completed')),
    stage             INTEGER NOT NULL DEFAULT 0,
    next_stage_at     INTEGER,
    reason            TEXT    NOT NULL DEFAULT '',
    created_by        TEXT    NOT NULL DEFAULT '',
    row_version       INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX agent_rollouts_one_running ON agent_rollouts (scope_kind, scope_id)
    WHERE state IN ('active', 'paused');

CREATE TABLE agent_rollout_devices (
    rollout_id   TEXT    NOT NULL REFERENCES agent_rollouts (id) ON DELETE CASCADE,
    device_id    TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    org_id       TEXT    NOT NULL,
    stage        INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    from_version TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT '',
    offered_at   INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
) STRICT;
CREATE INDEX agent_rollout_devices_device ON agent_rollout_devices (device_id, updated_at DESC);
CREATE INDEX agent_rollout_devices_state ON agent_rollout_devices (state, updated_at);
