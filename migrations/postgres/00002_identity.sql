-- +goose Up
-- Identity: users, roles, role grants, API keys, refresh tokens, audit log.
--
-- Same conventions as 00001 (application-made UUIDv7 ids, timestamptz in
-- UTC truncated to microseconds, named constraints the adapter translates,
-- composite foreign keys that keep denormalised partner/org ids in step with
-- the parent row). Optional references and "never" times are NULL.
--
-- Built-in roles are not inserted here: after goose runs, the adapter's
-- Migrate upserts domain.BuiltInRoles(), so Go stays the one source of truth.
-- The unique indexes below use NULLS NOT DISTINCT (PostgreSQL 15+), so a
-- missing partner, org or site counts as one value.

ALTER TABLE partners ADD COLUMN require_totp boolean NOT NULL DEFAULT false;

-- org_id NULL: one of the MSP's own staff; set: a customer's staff. A
-- partner or org still holding users cannot be deleted (RESTRICT →
-- ErrConflict). Emails are stored lower-case by domain.User.Validate; the
-- unique index on lower(email) keeps the rule case-insensitive even for a
-- row written by other means.
CREATE TABLE users (
    id             uuid        PRIMARY KEY,
    partner_id     uuid        NOT NULL,
    org_id         uuid,
    email          text        NOT NULL CHECK (length(btrim(email)) > 0),
    name           text        NOT NULL CHECK (length(btrim(name)) > 0),
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash  text        NOT NULL DEFAULT '',
    totp_secret    text        NOT NULL DEFAULT '',
    totp_last_step bigint      NOT NULL DEFAULT 0,
    last_login_at  timestamptz,
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT users_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE RESTRICT,
    -- not enforced while org_id is NULL (a partner-level user)
    CONSTRAINT users_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE RESTRICT,
    -- target of the grants' composite foreign key
    CONSTRAINT users_id_partner_key UNIQUE (id, partner_id)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_partner_idx ON users (partner_id, id);
CREATE INDEX users_org_idx ON users (org_id, id);

-- partner_id NULL: a built-in role, visible to everyone and immutable.
-- Permissions are a sorted text[] (domain.ValidatePermissions). An empty
-- partner's custom roles go with it; a partner with users cannot be deleted
-- anyway, and an assigned role RESTRICTs its own deletion.
CREATE TABLE roles (
    id          uuid        PRIMARY KEY,
    partner_id  uuid,
    name        text        NOT NULL CHECK (length(btrim(name)) > 0),
    description text        NOT NULL DEFAULT '',
    permissions text[]      NOT NULL DEFAULT '{}',
    built_in    boolean     NOT NULL DEFAULT false,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT roles_built_in_check CHECK (built_in = (partner_id IS NULL)),
    CONSTRAINT roles_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE
);
-- Names are unique per partner, the built-in roles being one more "partner".
CREATE UNIQUE INDEX roles_name_key ON roles (partner_id, lower(name)) NULLS NOT DISTINCT;

-- A grant's unit is a site (all three ids), an org (partner and org), a
-- partner (partner only) or, with no ids, the whole platform. Deleting the
-- unit or the user drops the grant (CASCADE); a role cannot be deleted while
-- granted (RESTRICT → ErrConflict). The unit's foreign keys chain site → org
-- (sites' (id, org_id) key) and org → partner (organizations' (id,
-- partner_id) key), so a stored unit always names its true ancestors.
CREATE TABLE role_assignments (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL,
    role_id    uuid        NOT NULL,
    partner_id uuid,
    org_id     uuid,
    site_id    uuid,
    created_by text        NOT NULL DEFAULT '', -- the granter; no key: it may be deleted later
    created_at timestamptz NOT NULL,
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
    CONSTRAINT role_assignments_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX role_assignments_grant_key ON role_assignments
    (user_id, role_id, partner_id, org_id, site_id) NULLS NOT DISTINCT;
CREATE INDEX role_assignments_user_idx ON role_assignments (user_id, id);
CREATE INDEX role_assignments_role_idx ON role_assignments (role_id, id);
CREATE INDEX role_assignments_partner_idx ON role_assignments (partner_id, id);
CREATE INDEX role_assignments_org_idx ON role_assignments (org_id, id);
CREATE INDEX role_assignments_site_idx ON role_assignments (site_id, id);

-- An API key's unit is shaped like a grant's. Only the SHA-256 of the secret
-- is kept.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL,
    partner_id   uuid,
    org_id       uuid,
    site_id      uuid,
    name         text        NOT NULL CHECK (length(btrim(name)) > 0),
    prefix       text        NOT NULL DEFAULT '',
    secret_hash  text        NOT NULL CHECK (secret_hash <> ''),
    permissions  text[]      NOT NULL DEFAULT '{}',
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL,
    CONSTRAINT api_keys_unit_check CHECK (
        (site_id IS NULL OR org_id IS NOT NULL) AND (org_id IS NULL OR partner_id IS NOT NULL)),
    CONSTRAINT api_keys_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_partner_fk FOREIGN KEY (partner_id)
        REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_org_fk FOREIGN KEY (org_id, partner_id)
        REFERENCES organizations (id, partner_id) ON DELETE CASCADE,
    CONSTRAINT api_keys_site_fk FOREIGN KEY (site_id, org_id)
        REFERENCES sites (id, org_id) ON DELETE CASCADE,
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);
CREATE INDEX api_keys_partner_idx ON api_keys (partner_id, id);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, id);
CREATE INDEX api_keys_site_idx ON api_keys (site_id, id);

-- One row per refresh token; a family is one sign-in session. Only the
-- SHA-256 of the token is kept. replaced_by_id has no foreign key: Rotate
-- names the successor before inserting it. ip and user_agent come from
-- request headers, which are bytes rather than UTF-8 text, so they are bytea.
CREATE TABLE refresh_tokens (
    id             uuid        PRIMARY KEY,
    family_id      uuid        NOT NULL,
    user_id        uuid        NOT NULL,
    token_hash     text        NOT NULL CHECK (token_hash <> ''),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    replaced_by_id uuid,
    revoked_at     timestamptz,
    ip             bytea       NOT NULL DEFAULT '',
    user_agent     bytea       NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    CONSTRAINT refresh_tokens_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- The append-only, hash-chained audit log. seq is 1, 2, 3, ... assigned by
-- Append as last + 1 under a transaction-scoped advisory lock, not by a
-- sequence: a sequence leaves gaps on rollback, and a gap would look like a
-- deleted row. No foreign keys: the log outlives the rows it names. Empty
-- strings, not NULLs, for absent values, exactly as the hash covers them.
-- ip, user_agent, request_id and details are bytea: they come from request
-- headers or are cut at a byte length, so they need not be valid UTF-8, and
-- the hash covers their exact bytes.
CREATE TABLE audit_log (
    seq           bigint      PRIMARY KEY CHECK (seq > 0),
    id            uuid        NOT NULL,
    at            timestamptz NOT NULL,
    actor_type    text        NOT NULL DEFAULT '',
    actor_id      text        NOT NULL DEFAULT '',
    action        text        NOT NULL,
    resource_type text        NOT NULL DEFAULT '',
    resource_id   text        NOT NULL DEFAULT '',
    partner_id    text        NOT NULL DEFAULT '',
    org_id        text        NOT NULL DEFAULT '',
    outcome       text        NOT NULL DEFAULT '',
    ip            bytea       NOT NULL DEFAULT '',
    user_agent    bytea       NOT NULL DEFAULT '',
    request_id    bytea       NOT NULL DEFAULT '',
    details       bytea       NOT NULL DEFAULT '',
    prev_hash     text        NOT NULL,
    hash          text        NOT NULL,
    CONSTRAINT audit_log_id_key UNIQUE (id)
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, seq);
CREATE INDEX audit_log_partner_idx ON audit_log (partner_id, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Append-only: rows can be inserted, never changed or removed. A superuser
-- can still drop the trigger; Verify then finds the edit in the chain.
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
