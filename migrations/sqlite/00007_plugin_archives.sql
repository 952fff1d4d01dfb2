-- +goose Up
-- The installed archive of each plugin, so every server node can unpack and
-- verify it locally (a node never depends on another node's DATA_DIR).
-- Only the installed version is kept; the row goes with its plugin.
CREATE TABLE plugin_archives (
    plugin_id TEXT NOT NULL PRIMARY KEY REFERENCES plugins (id) ON DELETE CASCADE,
    version   TEXT NOT NULL CHECK (version <> ''),
    data      BLOB NOT NULL
) STRICT;
