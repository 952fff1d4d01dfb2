package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// wallStore gives a test a migrated store on a fresh database.
func wallStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, Options{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// tenantColumns are the columns that make a table a tenant table (or a
// child of one); every such table must have row-level security.
var tenantColumns = []string{"partner_id", "org_id", "site_id", "device_id", "user_id", "alert_id", "script_id", "job_id"}

// withoutPolicy lists tenant tables allowed to lack a policy for now: an
// allow-list to shrink, empty today.
var withoutPolicy = []string{}

// TestRowSecurityEveryTenantTable fails when a migration adds a table with
// a tenant column and no row-level security policy, or when the app role
// could bypass the policies.
func TestRowSecurityEveryTenantTable(t *testing.T) {
	st := wallStore(t)
	ctx := context.Background()
	rows, err := st.pool.Query(ctx, `SELECT c.relname, c.relrowsecurity,
			(SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname)
		FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
		AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
			AND NOT a.attisdropped AND a.attname = ANY ($1))
		ORDER BY 1`, tenantColumns)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		var enabled bool
		var policies int
		if err := rows.Scan(&name, &enabled, &policies); err != nil {
			t.Fatal(err)
		}
		n++
		if slices.Contains(withoutPolicy, name) {
			continue
		}
		if !enabled || policies == 0 {
			t.Errorf("table %s has a tenant column but no row-level security (enabled %v, %d policies):"+
				" add a policy in the migration that creates it (see migrations/postgres/00026_row_security.sql)",
				name, enabled, policies)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Fatalf("found %d tenant tables; the catalog query is broken", n)
	}

	var super, bypass bool
	var owned int
	if err := st.pool.QueryRow(ctx, `SELECT r.rolsuper, r.rolbypassrls,
			(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)
		FROM pg_roles r WHERE r.rolname = $1`, appRole).Scan(&super, &bypass, &owned); err != nil {
		t.Fatalf("role %s: %v", appRole, err)
	}
	if super || bypass || owned > 0 {
		t.Fatalf("role %s: superuser %v, bypassrls %v, owns %d relations; the policies would not apply", appRole, super, bypass, owned)
	}
}

// wallWorld is two partners, each with an org, a site and a device that has
// a latest sample.
type wallWorld struct {
	partner, org, site, device [2]string
}

func seedWall(t *testing.T, st *Store) wallWorld {
	t.Helper()
	ctx := context.Background()
	g := domain.GlobalScope()
	var w wallWorld
	for i := range 2 {
		p := &domain.Partner{Name: fmt.Sprintf("wall-p%d", i)}
		if err := st.Partners().Create(ctx, g, p); err != nil {
			t.Fatal(err)
		}
		o := &domain.Organization{PartnerID: p.ID, Name: fmt.Sprintf("wall-o%d", i)}
		if err := st.Orgs().Create(ctx, g, o); err != nil {
			t.Fatal(err)
		}
		s := &domain.Site{OrgID: o.ID, Name: fmt.Sprintf("wall-s%d", i)}
		if err := st.Sites().Create(ctx, g, s); err != nil {
			t.Fatal(err)
		}
		d := &domain.Device{ID: domain.NewID(), PartnerID: p.ID, OrgID: o.ID, SiteID: s.ID,
			Hostname: fmt.Sprintf("wall-d%d", i), OS: "linux", Arch: "amd64", Status: domain.DeviceOnline}
		if _, err := st.Devices().Upsert(ctx, g, d); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Truncate(time.Second)
		if err := st.Telemetry().Write(ctx, []domain.MetricSample{{DeviceID: d.ID, At: at, CPUPercent: 1}}, at); err != nil {
			t.Fatal(err)
		}
		w.partner[i], w.org[i], w.site[i], w.device[i] = p.ID, o.ID, s.ID, d.ID
	}
	return w
}

// ids runs an unscoped query through the store's own (walled) querier.
func ids(t *testing.T, ctx context.Context, st *Store, sql string) []string {
	t.Helper()
	rows, err := st.q.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	slices.Sort(out)
	return out
}

// TestWallUnscopedQueries runs queries that forgot their scope through the
// real role: each caller sees and writes its own tenant's rows only.
func TestWallUnscopedQueries(t *testing.T) {
	st := wallStore(t)
	w := seedWall(t, st)
	bg := context.Background()

	callers := []struct {
		name  string
		scope domain.Scope
	}{
		{"partner", domain.Scope{PartnerIDs: []string{w.partner[0]}}},
		{"org", domain.Scope{OrgIDs: []string{w.org[0]}}},
		{"site", domain.Scope{SiteIDs: []string{w.site[0]}}},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			ctx := tenant(bg, c.scope)
			for sql, want := range map[string][]string{
				"SELECT id::text FROM devices":                                                 {w.device[0]},
				"SELECT id::text FROM sites":                                                   {w.site[0]},
				"SELECT id::text FROM organizations":                                           {w.org[0]},
				"SELECT device_id::text FROM device_latest":                                    {w.device[0]},
				"SELECT DISTINCT device_id::text FROM device_metrics":                          {w.device[0]},
				"SELECT id::text FROM devices WHERE id IS NOT NULL AND hostname LIKE 'wall-%'": {w.device[0]},
			} {
				if got := ids(t, ctx, st, sql); !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v (own tenant only)", sql, got, want)
				}
			}

			// Writes that forgot their scope touch the own tenant only.
			tag, err := st.q.Exec(ctx, "UPDATE devices SET agent_version = 'walled'")
			if err != nil {
				t.Fatal(err)
			}
			if tag.RowsAffected() != 1 {
				t.Errorf("unscoped UPDATE touched %d rows, want 1 (own device)", tag.RowsAffected())
			}
			// Moving an own row into the other tenant, or inserting one
			// there, is refused, and the store reports it as not found.
			_, err = st.q.Exec(ctx, "UPDATE devices SET partner_id = $1, org_id = $2, site_id = $3 WHERE id = $4",
				w.partner[1], w.org[1], w.site[1], w.device[0])
			if !errors.Is(translate("move", err), domain.ErrNotFound) {
				t.Errorf("moving a device into another tenant: %v, want not found", err)
			}
			_, err = st.q.Exec(ctx, `INSERT INTO devices (id, partner_id, org_id, site_id, hostname, os, arch, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'planted', 'linux', 'amd64', 'offline', now(), now())`,
				domain.NewID(), w.partner[1], w.org[1], w.site[1])
			if !errors.Is(translate("plant", err), domain.ErrNotFound) {
				t.Errorf("inserting a device into another tenant: %v, want not found", err)
			}
			tag, err = st.q.Exec(ctx, "DELETE FROM device_latest")
			if err != nil {
				t.Fatal(err)
			}
			if tag.RowsAffected() > 1 {
				t.Errorf("unscoped DELETE removed %d rows, want the own device's at most", tag.RowsAffected())
			}
			if got := ids(t, system(bg), st, "SELECT device_id::text FROM device_latest"); !slices.Contains(got, w.device[1]) {
				t.Errorf("the other tenant's latest sample is gone: %v", got)
			}
			// Put the own sample back for the next caller.
			at := time.Now().UTC().Truncate(time.Second)
			if err := st.Telemetry().Write(bg, []domain.MetricSample{{DeviceID: w.device[0], At: at, CPUPercent: 2}}, at); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("no context sees nothing", func(t *testing.T) {
		for _, sql := range []string{"SELECT id::text FROM devices", "SELECT id::text FROM partners", "SELECT id::text FROM users"} {
			if got := ids(t, bg, st, sql); len(got) != 0 {
				t.Errorf("%s without a tenant set: %v, want nothing", sql, got)
			}
		}
	})
	t.Run("system and global see all", func(t *testing.T) {
		for _, ctx := range []context.Context{system(bg), tenant(bg, domain.GlobalScope())} {
			if got := ids(t, ctx, st, "SELECT id::text FROM devices"); len(got) != 2 {
				t.Errorf("devices: %v, want both", got)
			}
		}
	})
	t.Run("the set never outlives its statement", func(t *testing.T) {
		// Fill the pool's connections with tenant statements, then read
		// the settings on a bare connection of the same pool.
		for range 8 {
			ids(t, tenant(bg, domain.Scope{PartnerIDs: []string{w.partner[0]}}), st, "SELECT id::text FROM devices")
		}
		for range 8 {
			var user, ids string
			if err := st.pool.QueryRow(bg, `SELECT current_user,
				coalesce(current_setting('breeze.tenant_ids', true), '')`).Scan(&user, &ids); err != nil {
				t.Fatal(err)
			}
			if user == appRole || ids != "" {
				t.Fatalf("a pooled connection kept the wall's set: user %s, tenant ids %q", user, ids)
			}
		}
	})
	t.Run("inside a transaction each statement places its own set", func(t *testing.T) {
		// tenant, tenant, system, tenant: the system statement in between
		// sees everything, the tenant ones their own org only.
		tx, err := st.q.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(bg) }()
		var q querier = tx // a walled transaction
		for _, i := range []int{0, 1, -1, 0} {
			if i < 0 {
				var n int
				if err := q.QueryRow(system(bg), "SELECT count(*) FROM devices").Scan(&n); err != nil || n != 2 {
					t.Errorf("system in a transaction after tenant statements: %d devices, %v; want 2", n, err)
				}
				continue
			}
			ctx := tenant(bg, domain.Scope{OrgIDs: []string{w.org[i]}})
			var got string
			if err := q.QueryRow(ctx, "SELECT id::text FROM devices").Scan(&got); err != nil || got != w.device[i] {
				t.Errorf("org %d in one transaction: %s, %v; want %s", i, got, err, w.device[i])
			}
		}
	})
}
