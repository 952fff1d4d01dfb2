-- +goose Up
-- Mutual TLS for agent links (see the postgres migration 00024).
CREATE TABLE agent_cas (
    id         TEXT    NOT NULL PRIMARY KEY,
    cert_pem   TEXT    NOT NULL,
    key_sealed TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('active', 'trusted', 'retired')),
    created_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;
CREATE UNIQUE INDEX agent_cas_one_active ON agent_cas (state) WHERE state = 'active';

CREATE TABLE device_certs (
    serial     TEXT    NOT NULL PRIMARY KEY,
    device_id  TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ca_id      TEXT    NOT NULL REFERENCES agent_cas (id),
    not_before INTEGER NOT NULL,
    not_after  INTEGER NOT NULL,
    issued_at  INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX device_certs_device_idx ON device_certs (device_id, issued_at DESC);

ALTER TABLE partners ADD COLUMN require_mtls INTEGER NOT NULL DEFAULT 0 CHECK (require_mtls IN (0, 1));
