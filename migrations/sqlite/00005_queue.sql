-- +goose Up
-- The embedded durable queue (adapters/sqlite/queue*.go): background tasks
-- in the same file as everything else, so a restart loses nothing and a task
-- can be enqueued in the same transaction as the write that calls for it.
--
-- A rowid table, not WITHOUT ROWID: payloads may reach 1 MiB, and large rows
-- belong in a rowid table. The public id is UUIDv7 text (domain.NewID).
-- Stored states: pending (never attempted; "scheduled" while process_at is
-- ahead), retry, active, dead. A task that succeeds is deleted, which also
-- frees its unique key.
--
-- run_at is when a worker may next claim the row: process_at while it
-- waits, the end of the lease while it is active (a worker that vanished
-- lets it lapse, and the row is claimable again), NULL once dead. One index
-- on (kind, run_at) serves every claim.
CREATE TABLE queue_tasks (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind <> ''),
    payload     BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'retry', 'active', 'dead')),
    unique_key  TEXT,                  -- NULL: not unique
    process_at  INTEGER NOT NULL,      -- when the current or next attempt is due
    run_at      INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_retries INTEGER NOT NULL CHECK (max_retries >= 0),
    timeout_us  INTEGER NOT NULL CHECK (timeout_us > 0),
    last_error  TEXT    NOT NULL DEFAULT '',
    lease_owner TEXT,                  -- the queue instance running the attempt
    created_at  INTEGER NOT NULL,
    dead_at     INTEGER,
    CONSTRAINT queue_tasks_id_key UNIQUE (id)
) STRICT;

CREATE UNIQUE INDEX queue_tasks_unique_idx ON queue_tasks (kind, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX queue_tasks_due_idx ON queue_tasks (kind, run_at) WHERE run_at IS NOT NULL;
-- lease extension: this instance's running attempts
CREATE INDEX queue_tasks_lease_idx ON queue_tasks (lease_owner) WHERE state = 'active';
CREATE INDEX queue_tasks_dead_idx ON queue_tasks (dead_at) WHERE state = 'dead';
