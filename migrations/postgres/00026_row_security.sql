-- +goose Up
-- Row-level security: tenancy's second wall (docs/security.md "Row-level
-- security"). Every store statement runs as the role breeze_app (set per
-- transaction by adapters/postgres/wall.go, together with the caller's
-- partner, org and site ids in breeze.* settings); breeze_app has no
-- BYPASSRLS and owns nothing, so the policies below apply to it, while the
-- owner that runs these migrations keeps bypassing them. A store statement
-- that forgot its scope filter therefore sees nothing outside the tenant
-- set of its transaction.
--
-- The role is shared by every database of the cluster. An operator whose
-- migration user may not create roles creates it once:
--   CREATE ROLE breeze_app NOLOGIN NOBYPASSRLS; GRANT breeze_app TO <owner>;

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'breeze_app') THEN
        BEGIN
            CREATE ROLE breeze_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- another database of this cluster created it meanwhile
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role breeze_app is missing and % may not create roles: as a superuser run CREATE ROLE breeze_app NOLOGIN NOBYPASSRLS; GRANT breeze_app TO %;', current_user, current_user;
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'breeze_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT breeze_app TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% is not a member of breeze_app and may not grant it: as a superuser run GRANT breeze_app TO %;', current_user, current_user;
        END;
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO breeze_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO breeze_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO breeze_app;
REVOKE ALL ON goose_db_version FROM breeze_app;
-- Tables of later migrations: the grant is automatic, the policy is not
-- (internal test TestRowSecurityEveryTenantTable fails on a tenant table
-- without one).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO breeze_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO breeze_app;

-- The tenant set of the current transaction. Policies call these through
-- (SELECT f()), so each is evaluated once per statement, not once per row.
-- breeze.scope is 'global' (the platform scope) or 'system' (the server's
-- own cross-tenant work) for everything, anything else for the ids alone.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_all() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('breeze.scope', true), '') IN ('global', 'system')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION breeze_rls_partners() RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('breeze.partner_ids', true), ''), '{}')::uuid[]
$$;
-- +goose StatementEnd

-- The orgs of the set: those named in the scope and, placed by the enter
-- statement through breeze_rls_site_orgs, the orgs of the sites named in
-- it. The wall stands at the org; finer site rules stay with the store's SQL.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_orgs() RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('breeze.org_ids', true), ''), '{}')::uuid[]
$$;
-- +goose StatementEnd

-- SECURITY DEFINER: reads sites as their owner (no policy applies, so no
-- recursion), for a site-scoped caller's enter statement only.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_site_orgs(site_ids uuid[]) RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
    SELECT coalesce(array_agg(DISTINCT org_id), '{}') FROM sites WHERE id = ANY (site_ids)
$$;
-- +goose StatementEnd

-- The partners whose shared rows (org_id NULL) the scope reads: its own
-- partners and the partners of its orgs.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_reach() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
    SELECT breeze_rls_partners() ||
        coalesce((SELECT array_agg(partner_id) FROM organizations WHERE id = ANY (breeze_rls_orgs())), '{}')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t text;
    x constant text := '(SELECT breeze_rls_all())';
    p constant text := '((SELECT breeze_rls_partners())::uuid[])';
    o constant text := '((SELECT breeze_rls_orgs())::uuid[])';
    r constant text := '((SELECT breeze_rls_reach())::uuid[])';
    direct constant text := x || ' OR partner_id = ANY ' || p || ' OR org_id = ANY ' || o;
BEGIN
    -- Rows carrying partner_id and org_id (org_id NULL: a partner-wide row,
    -- or with partner_id NULL too the platform's own unit).
    FOREACH t IN ARRAY ARRAY['sites', 'device_groups', 'devices', 'users', 'role_assignments', 'api_keys',
        'enrollment_keys', 'commands', 'scripts', 'script_runs', 'plugin_orgs', 'alert_rules', 'alerts',
        'notification_routes', 'notification_deliveries', 'maintenance_windows', 'schedules', 'schedule_fires',
        'discovery_profiles', 'discovery_settings', 'discovery_assets', 'discovery_asset_events', 'discovery_scans']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (%s) WITH CHECK (%s)', t, direct, direct);
    END LOOP;
    -- Partner-wide rows (org_id NULL) that every org of the partner reads.
    FOREACH t IN ARRAY ARRAY['scripts', 'alert_rules', 'notification_routes', 'maintenance_windows', 'schedules',
        'schedule_fires']
    LOOP
        EXECUTE format('CREATE POLICY tenant_shared_read ON %I FOR SELECT USING (org_id IS NULL AND partner_id = ANY %s)', t, r);
    END LOOP;

    EXECUTE format('CREATE POLICY tenant_wall ON partners USING (%s OR id = ANY %s) WITH CHECK (%s OR id = ANY %s)', x, p, x, p);
    EXECUTE format('CREATE POLICY tenant_shared_read ON partners FOR SELECT USING (id = ANY %s)', r);
    EXECUTE format('CREATE POLICY tenant_wall ON organizations USING (%s OR partner_id = ANY %s OR id = ANY %s) WITH CHECK (%s OR partner_id = ANY %s OR id = ANY %s)', x, p, o, x, p, o);
    -- Built-in roles (partner_id NULL) are read by everyone; custom ones
    -- belong to their partner.
    EXECUTE format('CREATE POLICY tenant_wall ON roles USING (%s OR partner_id = ANY %s) WITH CHECK (%s OR partner_id = ANY %s)', x, p, x, p);
    EXECUTE format('CREATE POLICY tenant_shared_read ON roles FOR SELECT USING (partner_id IS NULL OR partner_id = ANY %s)', r);
    -- The audit log keeps its ids as text ('' for none).
    EXECUTE format('CREATE POLICY tenant_wall ON audit_log USING (%s OR partner_id = ANY (%s::text[]) OR org_id = ANY (%s::text[])) WITH CHECK (%s OR partner_id = ANY (%s::text[]) OR org_id = ANY (%s::text[]))', x, p, o, x, p, o);
    -- Rows carrying only org_id.
    FOREACH t IN ARRAY ARRAY['alert_defaults_seeded', 'notification_group_members']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (%s OR org_id = ANY %s OR org_id IN (SELECT id FROM organizations WHERE partner_id = ANY %s)) WITH CHECK (%s OR org_id = ANY %s OR org_id IN (SELECT id FROM organizations WHERE partner_id = ANY %s))', t, x, o, p, x, o, p);
    END LOOP;
    -- Child rows: visible when their parent row is (the parent's policy
    -- applies inside the sub-select).
    FOREACH t IN ARRAY ARRAY['agent_tokens', 'device_metrics', 'device_latest', 'device_inventory', 'device_plugin_states']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (%s OR device_id IN (SELECT id FROM devices)) WITH CHECK (%s OR device_id IN (SELECT id FROM devices))', t, x, x);
    END LOOP;
    EXECUTE format('CREATE POLICY tenant_wall ON alert_transitions USING (%s OR alert_id IN (SELECT id FROM alerts)) WITH CHECK (%s OR alert_id IN (SELECT id FROM alerts))', x, x);
    EXECUTE format('CREATE POLICY tenant_wall ON script_versions USING (%s OR script_id IN (SELECT id FROM scripts)) WITH CHECK (%s OR script_id IN (SELECT id FROM scripts))', x, x);
    FOREACH t IN ARRAY ARRAY['discovery_scan_commands', 'discovery_scan_hosts']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (%s OR job_id IN (SELECT id FROM discovery_scans)) WITH CHECK (%s OR job_id IN (SELECT id FROM discovery_scans))', t, x, x);
    END LOOP;
    EXECUTE format('CREATE POLICY tenant_wall ON refresh_tokens USING (%s OR user_id IN (SELECT id FROM users)) WITH CHECK (%s OR user_id IN (SELECT id FROM users))', x, x);
    EXECUTE format('CREATE POLICY tenant_wall ON ws_tickets USING (%s OR user_id IN (SELECT id::text FROM users)) WITH CHECK (%s OR user_id IN (SELECT id::text FROM users))', x, x);

    -- Every table with a policy enforces it.
    FOR t IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'public'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
