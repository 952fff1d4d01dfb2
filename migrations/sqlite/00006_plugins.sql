-- +goose Up
-- Plugins: what is installed (global), where it is enabled (per org, with
-- its settings) and each plugin's own key-value store.
--
-- Same conventions as 00001..00005 (STRICT tables, INTEGER unix-microsecond
-- times). A plugin's id is the manifest id ("breeze.webhook"), not a UUID:
-- one row per plugin, the installed version in it (an upgrade replaces it).

CREATE TABLE plugins (
    id             TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL CHECK (version <> ''),
    kind           TEXT    NOT NULL CHECK (kind IN ('alert_channel', 'scanner', 'script_runtime', 'collector')),
    side           TEXT    NOT NULL CHECK (side IN ('server', 'agent')),
    manifest       TEXT    NOT NULL CHECK (json_valid(manifest)), -- plugin.json as installed
    archive_sha256 TEXT    NOT NULL,
    archive_size   INTEGER NOT NULL DEFAULT 0 CHECK (archive_size >= 0),
    exec_sha256    TEXT    NOT NULL DEFAULT '', -- this server's os-arch executable, '' when none
    signer_key_id  TEXT    NOT NULL DEFAULT '', -- '' = unsigned (development switch)
    enabled        INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    installed_at   INTEGER NOT NULL,
    installed_by   TEXT    NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL
) STRICT;

-- Per-org enablement and settings. Secret settings are sealed by the
-- service before they get here (AES-256-GCM); the row never holds them in
-- clear. An org's rows go with the org, a plugin's with the plugin.
CREATE TABLE plugin_orgs (
    plugin_id  TEXT    NOT NULL,
    org_id     TEXT    NOT NULL,
    partner_id TEXT    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    settings   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (plugin_id, org_id),
    CONSTRAINT plugin_orgs_plugin_fk FOREIGN KEY (plugin_id)
        REFERENCES plugins (id) ON DELETE CASCADE,
    CONSTRAINT plugin_orgs_org_fk FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX plugin_orgs_org_idx ON plugin_orgs (org_id, plugin_id);
CREATE INDEX plugin_orgs_partner_idx ON plugin_orgs (partner_id, plugin_id);

-- The host API's key-value store, scoped to one plugin.
CREATE TABLE plugin_kv (
    plugin_id TEXT NOT NULL,
    key       TEXT NOT NULL CHECK (key <> ''),
    value     BLOB NOT NULL,
    PRIMARY KEY (plugin_id, key),
    CONSTRAINT plugin_kv_plugin_fk FOREIGN KEY (plugin_id)
        REFERENCES plugins (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
