-- +goose Up
-- Agent self-update: the builds (bytes in the database, so every node of a
-- cluster serves them without shared storage), the rollouts that move a
-- scope's agents to a version in stages, and each device's place in them.
CREATE TABLE agent_releases (
    id         UUID        NOT NULL PRIMARY KEY,
    version    TEXT        NOT NULL CHECK (version <> ''),
    os         TEXT        NOT NULL CHECK (os <> ''),
    arch       TEXT        NOT NULL CHECK (arch <> ''),
    sha256     TEXT        NOT NULL CHECK (length(sha256) = 64),
    size       BIGINT      NOT NULL CHECK (size > 0),
    signature  TEXT        NOT NULL,
    notes      TEXT        NOT NULL DEFAULT '',
    created_by TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    data       BYTEA       NOT NULL,
    UNIQUE (version, os, arch)
);

CREATE TABLE agent_rollouts (
    id                UUID        NOT NULL PRIMARY KEY,
    partner_id        UUID        NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    org_id            TEXT        NOT NULL DEFAULT '',
    site_id           TEXT        NOT NULL DEFAULT '',
    scope_kind        TEXT        NOT NULL CHECK (scope_kind IN ('partner', 'org', 'site', 'group')),
    scope_id          TEXT        NOT NULL,
    version           TEXT        NOT NULL CHECK (version <> ''),
    stages            TEXT        NOT NULL,
    pause_seconds     INTEGER     NOT NULL DEFAULT 0 CHECK (pause_seconds >= 0),
    failure_threshold INTEGER     NOT NULL CHECK (failure_threshold BETWEEN 0 AND 100),
    allow_downgrade   BOOLEAN     NOT NULL DEFAULT FALSE,
    trial_seconds     INTEGER     NOT NULL DEFAULT 0 CHECK (trial_seconds >= 0),
    state             TEXT        NOT NULL CHECK (state IN ('active', 'paused', 'stopped', 'completed')),
    stage             INTEGER     NOT NULL DEFAULT 0,
    next_stage_at     TIMESTAMPTZ,
    reason            TEXT        NOT NULL DEFAULT '',
    created_by        TEXT        NOT NULL DEFAULT '',
    row_version       BIGINT      NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
-- One running (active or paused) rollout per scope.
CREATE UNIQUE INDEX agent_rollouts_one_running ON agent_rollouts (scope_kind, scope_id)
    WHERE state IN ('active', 'paused');

CREATE TABLE agent_rollout_devices (
    rollout_id   UUID        NOT NULL REFERENCES agent_rollouts (id) ON DELETE CASCADE,
    device_id    UUID        NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    org_id       TEXT        NOT NULL,
    stage        INTEGER     NOT NULL,
    state        TEXT        NOT NULL,
    from_version TEXT        NOT NULL DEFAULT '',
    error        TEXT        NOT NULL DEFAULT '',
    offered_at   TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX agent_rollout_devices_device ON agent_rollout_devices (device_id, updated_at DESC);
CREATE INDEX agent_rollout_devices_state ON agent_rollout_devices (state, updated_at);
