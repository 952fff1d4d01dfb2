-- +goose Up
-- The fingerprints of the secrets every node must share (the access-token
-- signing key, the key that seals secrets at rest): the first node to start
-- records them, a node started with another secret refuses to join with one
-- clear line (internal/server/clusterkeys.go). Fingerprints only: an HMAC
-- of a fixed label under the secret, or the JWT key id tokens carry anyway.
CREATE TABLE cluster_keys (
    name        text        PRIMARY KEY,
    fingerprint text        NOT NULL CHECK (fingerprint <> ''),
    set_at      timestamptz NOT NULL,
    set_by      text        NOT NULL DEFAULT ''
);
