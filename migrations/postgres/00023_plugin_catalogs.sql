-- +goose Up
-- Plugin catalogs the server subscribes to (core/app/plugincatalog): the
-- signed index's URL and the key that must sign it, the last index that
-- verified (kept when a later sync fails) and the last attempt, whose start
-- time is the lease that lets one node of a cluster sync a catalog.
CREATE TABLE plugin_catalogs (
    id              text        PRIMARY KEY,
    name            text        NOT NULL CHECK (name <> ''),
    url             text        NOT NULL CHECK (url <> ''),
    public_key      text        NOT NULL CHECK (public_key <> ''),
    key_id          text        NOT NULL,
    created_at      timestamptz NOT NULL,
    created_by      text        NOT NULL DEFAULT '',
    index_json      bytea,
    index_sig       bytea,
    synced_at       timestamptz,
    sync_attempt_at timestamptz,
    sync_error      text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX plugin_catalogs_name_key ON plugin_catalogs (lower(name));

-- Plugin publisher keys trusted from the dashboard or the CLI, on top of
-- BREEZE_PLUGIN_TRUSTED_KEYS.
CREATE TABLE plugin_keys (
    key_id      text        PRIMARY KEY CHECK (key_id <> ''),
    public_key  text        NOT NULL CHECK (public_key <> ''),
    fingerprint text        NOT NULL DEFAULT '',
    name        text        NOT NULL DEFAULT '',
    added_at    timestamptz NOT NULL,
    added_by    text        NOT NULL DEFAULT ''
);
