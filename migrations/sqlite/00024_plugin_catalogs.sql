-- +goose Up
-- Plugin catalog subscriptions and publisher keys trusted in the database
-- (see the postgres migration).
CREATE TABLE plugin_catalogs (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (name <> ''),
    url             TEXT    NOT NULL CHECK (url <> ''),
    public_key      TEXT    NOT NULL CHECK (public_key <> ''),
    key_id          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL DEFAULT '',
    index_json      BLOB,
    index_sig       BLOB,
    synced_at       INTEGER,
    sync_attempt_at INTEGER,
    sync_error      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE plugin_keys (
    key_id      TEXT    NOT NULL PRIMARY KEY CHECK (key_id <> ''),
    public_key  TEXT    NOT NULL CHECK (public_key <> ''),
    fingerprint TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    added_at    INTEGER NOT NULL,
    added_by    TEXT    NOT NULL DEFAULT ''
) STRICT;
