-- +goose Up
-- Plugins: what is installed (global), where it is enabled (per org, with
-- its settings) and each plugin's own key-value store.
--
-- Same conventions as 00001..00004. A plugin's id is the manifest id
-- ("breeze.webhook"), not a UUID: one row per plugin, the installed version
-- in it (an upgrade replaces it).

CREATE TABLE plugins (
    id             text        PRIMARY KEY CHECK (id <> ''),
    name           text        NOT NULL,
    version        text        NOT NULL CHECK (version <> ''),
    kind           text        NOT NULL CHECK (kind IN ('alert_channel', 'scanner', 'script_runtime', 'collector')),
    side           text        NOT NULL CHECK (side IN ('server', 'agent')),
    manifest       jsonb       NOT NULL, -- plugin.json as installed
    archive_sha256 text        NOT NULL,
    archive_size   bigint      NOT NULL DEFAULT 0 CHECK (archive_size >= 0),
    exec_sha256    text        NOT NULL DEFAULT '', -- this server's os-arch executable, '' when none
    signer_key_id  text        NOT NULL DEFAULT '', -- '' = unsigned (development switch)
    enabled        boolean     NOT NULL DEFAULT false,
    installed_at   timestamptz NOT NULL,
    installed_by   text        NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL
);

-- Per-org enablement and settings. Secret settings are sealed by the
-- service before they get here (AES-256-GCM); the row never holds them in
-- clear. An org's rows go with the org, a plugin's with the plugin.
CREATE TABLE plugin_orgs (
    plugin_id  text        NOT NULL,
    org_id     uuid        NOT NULL,
    partner_id uuid        NOT NULL,
    enabled    boolean     NOT NULL DEFAULT false,
    settings   jsonb       NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL,
    CONSTRAINT plugin_orgs_pkey PRIMARY KEY (plugin_id, org_id),
    CONSTRAINT plugin_orgs_plugin_fk FOREIGN KEY (plugin_id)
        REFERENCES plugins (id) ON DELETE CASCADE,
    CONSTRAINT plugin_orgs_org_fk FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX plugin_orgs_org_idx ON plugin_orgs (org_id, plugin_id);
CREATE INDEX plugin_orgs_partner_idx ON plugin_orgs (partner_id, plugin_id);

-- The host API's key-value store, scoped to one plugin.
CREATE TABLE plugin_kv (
    plugin_id text  NOT NULL,
    key       text  NOT NULL CHECK (key <> ''),
    value     bytea NOT NULL,
    CONSTRAINT plugin_kv_pkey PRIMARY KEY (plugin_id, key),
    CONSTRAINT plugin_kv_plugin_fk FOREIGN KEY (plugin_id)
        REFERENCES plugins (id) ON DELETE CASCADE
);
