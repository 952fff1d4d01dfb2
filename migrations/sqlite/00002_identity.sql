-- +goose Up
-- Identity: users, roles, role grants, API keys, refresh tokens, audit log.
--
-- Same conventions as 00001 (UUIDv7 text ids, WITHOUT ROWID STRICT tables,
-- INTEGER unix-microsecond times, composite foreign keys that keep the
-- denormalised partner/org ids in agreement with the parent row). Optional
-- references and "never" times are NULL. Permission lists are JSON text
-- arrays of strings, sorted (domain.ValidatePermissions).
--
-- Built-in roles are not inserted here: after goose runs, the adapter's
-- Migrate upserts domain.BuiltInRoles(), so Go stays the one source of truth.

ALTER TABLE partners ADD COLUMN require_totp INTEGER NOT NULL DEFAULT 0 CHECK (require_totp IN (0, 1));

-- org_id NULL: one of the MSP's own staff; set: a customer's staff. Either
-- parent still holding users cannot be deleted (RESTRICT → ErrConflict).
-- Emails are stored lower-case by domain.User.Validate; NOCASE keeps the
-- unique rule case-insensitive even for a row written by other means.
CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    partner_id     TEXT    NOT NULL,
    org_id         TEXT,
    email          TEXT    NOT NULL COLLATE NOCASE,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash  TEXT    NOT NULL DEFAULT '',
    totp_secret    TEXT    NOT NULL DEFAULT '',
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    last_login_at  INTEGER,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    -- parent key for the grants' composite foreign key
    CONSTRAINT users_tenant_key UNIQUE (id, partner_id),
    CONSTRAINT users_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE RESTRICT,
    -- not enforced while org_id is NULL (a partner-level user)
    CONSTRAINT users_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT
) WITHOUT ROWID, STRICT;

CREATE INDEX users_partner_idx ON users (partner_id, id);
CREATE INDEX users_org_idx ON users (org_id, id);

-- partner_id NULL: a built-in role (built_in = 1), visible to everyone.
-- An empty partner's custom roles go with it; a partner with users cannot
-- be deleted anyway, and an assigned role RESTRICTs its own deletion.
CREATE TABLE roles (
    id          TEXT    NOT NULL PRIMARY KEY,
    partner_id  TEXT,
    name        TEXT    NOT NULL COLLATE NOCASE,
    description TEXT    NOT NULL DEFAULT '',
    permissions TEXT    NOT NULL DEFAULT '[]'
        CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    built_in    INTEGER NOT NULL DEFAULT 0 CHECK (built_in IN (0, 1)),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT roles_built_in_check CHECK ((built_in = 1) = (partner_id IS NULL)),
    CONSTRAINT roles_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

-- Names are unique per partner, the built-in roles (NULL partner) being one
-- more "partner"; the name keeps its NOCASE collation in the index.
CREATE UNIQUE INDEX roles_name_key ON roles (coalesce(partner_id, ''), name);
CREATE INDEX roles_partner_idx ON roles (partner_id, id);

-- A grant's unit is a site (all three ids), an org (partner and org), a
-- partner (partner only) or, with no ids, the whole platform. Deleting the
-- unit drops its grants (CASCADE), deleting the user drops them too, and a
-- role cannot be deleted while granted (RESTRICT → ErrConflict).
CREATE TABLE role_assignments (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    role_id    TEXT    NOT NULL,
    partner_id TEXT,
    org_id     TEXT,
    site_id    TEXT,
    created_by TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    CONSTRAINT role_assignments_unit_check CHECK (
        (site_id IS NULL OR org_id IS NOT NULL) AND (org_id IS NULL OR partner_id IS NOT NULL)),
    CONSTRAINT role_assignments_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    -- the unit lies inside the user's partner (not enforced for a global grant)
    CONSTRAINT role_assignments_user_partner_fk FOREIGN KEY (user_id, partner_id)
        REFERENCES users (id, partner_id) ON DELETE CASCADE,
    CONSTRAINT role_assignments_role_fk FOREIGN KEY (role_id)
        REFERENCES roles (id) ON DELETE RESTRICT,
    CONSTRAINT role_assignments_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT role_assignments_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE,
    CONSTRAINT role_assignments_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

-- NULLs are distinct in a plain UNIQUE; coalesce folds them so the same
-- grant cannot be made twice at one unit.
CREATE UNIQUE INDEX role_assignments_grant_key ON role_assignments
    (user_id, role_id, coalesce(partner_id, ''), coalesce(org_id, ''), coalesce(site_id, ''));
CREATE INDEX role_assignments_user_idx ON role_assignments (user_id, id);
CREATE INDEX role_assignments_role_idx ON role_assignments (role_id, id);
CREATE INDEX role_assignments_partner_idx ON role_assignments (partner_id, id);
CREATE INDEX role_assignments_org_idx ON role_assignments (org_id, id);
CREATE INDEX role_assignments_site_idx ON role_assignments (site_id, id);

-- An API key's unit is shaped like a grant's. Only the SHA-256 of the
-- secret is kept.
CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    partner_id   TEXT,
    org_id       TEXT,
    site_id      TEXT,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL DEFAULT '',
    secret_hash  TEXT    NOT NULL,
    permissions  TEXT    NOT NULL DEFAULT '[]'
        CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    created_at   INTEGER NOT NULL,
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash),
    CONSTRAINT api_keys_unit_check CHECK (
        (site_id IS NULL OR org_id IS NOT NULL) AND (org_id IS NULL OR partner_id IS NOT NULL)),
    CONSTRAINT api_keys_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE,
    CONSTRAINT api_keys_site_fk FOREIGN KEY (site_id, org_id, partner_id)
        REFERENCES sites (id, org_id, partner_id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);
CREATE INDEX api_keys_partner_idx ON api_keys (partner_id, id);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, id);
CREATE INDEX api_keys_site_idx ON api_keys (site_id, id);

-- One row per refresh token; a family is one sign-in session. Only the
-- SHA-256 of the token is kept. replaced_by_id has no foreign key: Rotate
-- names the successor before inserting it.
CREATE TABLE refresh_tokens (
    id             TEXT    NOT NULL PRIMARY KEY,
    family_id      TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    replaced_by_id TEXT,
    revoked_at     INTEGER,
    ip             TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- The append-only, hash-chained audit log. seq is the rowid (1, 2, 3, ...),
-- assigned by Append as last + 1 inside the single writer's transaction.
-- No foreign keys: the log outlives the rows it names. Empty strings, not
-- NULLs, for absent values, exactly as the hash covers them.
CREATE TABLE audit_log (
    seq           INTEGER NOT NULL PRIMARY KEY,
    id            TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    actor_type    TEXT    NOT NULL DEFAULT '',
    actor_id      TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    resource_type TEXT    NOT NULL DEFAULT '',
    resource_id   TEXT    NOT NULL DEFAULT '',
    partner_id    TEXT    NOT NULL DEFAULT '',
    org_id        TEXT    NOT NULL DEFAULT '',
    outcome       TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    details       TEXT    NOT NULL DEFAULT '',
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    CONSTRAINT audit_log_id_key UNIQUE (id)
) STRICT;

CREATE INDEX audit_log_org_idx ON audit_log (org_id, seq);
CREATE INDEX audit_log_partner_idx ON audit_log (partner_id, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
