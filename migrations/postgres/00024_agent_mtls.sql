-- +goose Up
-- Mutual TLS for agent links (issue 19): the built-in CAs every node shares
-- (the private key sealed with the secrets key, never in clear), the
-- client certificates they issued (the serial is what revocation and the
-- link check look up), and the partner switch that requires a certificate.
CREATE TABLE agent_cas (
    id         uuid        PRIMARY KEY,
    cert_pem   text        NOT NULL,
    key_sealed text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('active', 'trusted', 'retired')),
    created_at timestamptz NOT NULL,
    retired_at timestamptz
);
-- One active CA: the race between nodes creating the first one ends here.
CREATE UNIQUE INDEX agent_cas_one_active ON agent_cas (state) WHERE state = 'active';

CREATE TABLE device_certs (
    serial     text        PRIMARY KEY,
    device_id  uuid        NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ca_id      uuid        NOT NULL REFERENCES agent_cas (id),
    not_before timestamptz NOT NULL,
    not_after  timestamptz NOT NULL,
    issued_at  timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX device_certs_device_idx ON device_certs (device_id, issued_at DESC);

ALTER TABLE partners ADD COLUMN require_mtls boolean NOT NULL DEFAULT false;
