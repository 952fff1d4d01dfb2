-- +goose Up
-- The fingerprints of the secrets every node must share (see the postgres
-- migration); on one node they catch a data directory restored without its
-- keys, or started with other ones.
CREATE TABLE cluster_keys (
    name        TEXT    NOT NULL PRIMARY KEY,
    fingerprint TEXT    NOT NULL CHECK (fingerprint <> ''),
    set_at      INTEGER NOT NULL,
    set_by      TEXT    NOT NULL DEFAULT ''
) STRICT;
