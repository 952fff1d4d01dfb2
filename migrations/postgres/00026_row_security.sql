-- +goose Up
-- Row-level security: tenancy's second wall (docs/security.md "Row-level
-- security"). Every store statement made for a tenant scope runs as the
-- role breeze_app, switched to for its transaction by
-- adapters/postgres/wall.go, which places the caller's partner and org ids
-- in breeze.tenant_ids. breeze_app has no BYPASSRLS and owns nothing, so the
-- policies below apply to it; the owner (these migrations, and the server's
-- explicit system work) bypasses them. A store statement that forgot its
-- scope filter therefore sees nothing outside the tenant set.
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

-- The tenant set of a transaction is breeze.tenant_ids: the partners and
-- orgs of the caller's scope and, placed by the enter statement through
-- breeze_rls_site_orgs, the orgs of its sites (ids are UUIDs: a partner's
-- never matches an org's). Policies read it in a sub-select, evaluated once
-- per statement rather than per row, and written inline: a function would
-- be parsed again at every planning. The wall stands at the org; finer site
-- rules stay with the store's SQL.

-- SECURITY DEFINER: reads sites as their owner (no policy applies, so no
-- recursion), for a site-scoped caller's enter statement only. PL/pgSQL
-- keeps its plan for the session; a SQL function is planned at every call.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_site_orgs(site_ids uuid[]) RETURNS uuid[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(DISTINCT org_id), '{}') FROM sites WHERE id = ANY (site_ids));
END
$$;
-- +goose StatementEnd

-- The set and the partners of its orgs: whose partner-wide rows (org_id
-- NULL) the caller reads.
-- +goose StatementBegin
CREATE FUNCTION breeze_rls_reach() RETURNS uuid[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
    t uuid[] := coalesce(nullif(current_setting('breeze.tenant_ids', true), ''), '{}')::uuid[];
BEGIN
    RETURN t || coalesce((SELECT array_agg(partner_id) FROM organizations WHERE id = ANY (t)), '{}');
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t text;
    -- The set; NULL (no row) when the statement placed none.
    ids constant text := '((SELECT nullif(current_setting(''breeze.tenant_ids'', true), '''')::uuid[])::uuid[])';
    reach constant text := '((SELECT breeze_rls_reach())::uuid[])';
    direct constant text := 'partner_id = ANY ' || ids || ' OR org_id = ANY ' || ids;
    org_only constant text := 'org_id = ANY ' || ids ||
        ' OR org_id IN (SELECT id FROM organizations WHERE partner_id = ANY ' || ids || ')';
BEGIN
    -- Rows carrying partner_id and org_id (org_id NULL: a partner-wide row;
    -- both NULL: the platform's own unit, reached by the owner only).
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
        EXECUTE format('CREATE POLICY tenant_shared_read ON %I FOR SELECT USING (org_id IS NULL AND partner_id = ANY %s)', t, reach);
    END LOOP;

    EXECUTE format('CREATE POLICY tenant_wall ON partners USING (id = ANY %s) WITH CHECK (id = ANY %s)', ids, ids);
    EXECUTE format('CREATE POLICY tenant_shared_read ON partners FOR SELECT USING (id = ANY %s)', reach);
    EXECUTE format('CREATE POLICY tenant_wall ON organizations USING (partner_id = ANY %s OR id = ANY %s) WITH CHECK (partner_id = ANY %s OR id = ANY %s)', ids, ids, ids, ids);
    -- Built-in roles (partner_id NULL) are read by everyone; custom ones
    -- belong to their partner.
    EXECUTE format('CREATE POLICY tenant_wall ON roles USING (partner_id = ANY %s) WITH CHECK (partner_id = ANY %s)', ids, ids);
    EXECUTE format('CREATE POLICY tenant_shared_read ON roles FOR SELECT USING (partner_id IS NULL OR partner_id = ANY %s)', reach);
    -- The audit log keeps its ids as text ('' for none).
    EXECUTE format('CREATE POLICY tenant_wall ON audit_log USING (partner_id = ANY (%s::text[]) OR org_id = ANY (%s::text[])) WITH CHECK (partner_id = ANY (%s::text[]) OR org_id = ANY (%s::text[]))', ids, ids, ids, ids);
    -- Rows carrying only org_id.
    FOREACH t IN ARRAY ARRAY['alert_defaults_seeded', 'notification_group_members']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (%s) WITH CHECK (%s)', t, org_only, org_only);
    END LOOP;
    -- Child rows: visible when their parent row is (the parent's policy
    -- applies inside the sub-select).
    FOREACH t IN ARRAY ARRAY['agent_tokens', 'device_metrics', 'device_latest', 'device_inventory', 'device_plugin_states']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (device_id IN (SELECT id FROM devices)) WITH CHECK (device_id IN (SELECT id FROM devices))', t);
    END LOOP;
    CREATE POLICY tenant_wall ON alert_transitions USING (alert_id IN (SELECT id FROM alerts)) WITH CHECK (alert_id IN (SELECT id FROM alerts));
    CREATE POLICY tenant_wall ON script_versions USING (script_id IN (SELECT id FROM scripts)) WITH CHECK (script_id IN (SELECT id FROM scripts));
    FOREACH t IN ARRAY ARRAY['discovery_scan_commands', 'discovery_scan_hosts']
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %I USING (job_id IN (SELECT id FROM discovery_scans)) WITH CHECK (job_id IN (SELECT id FROM discovery_scans))', t);
    END LOOP;
    CREATE POLICY tenant_wall ON refresh_tokens USING (user_id IN (SELECT id FROM users)) WITH CHECK (user_id IN (SELECT id FROM users));
    CREATE POLICY tenant_wall ON ws_tickets USING (user_id IN (SELECT id::text FROM users)) WITH CHECK (user_id IN (SELECT id::text FROM users));

    -- Every table with a policy enforces it.
    FOR t IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'public'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
