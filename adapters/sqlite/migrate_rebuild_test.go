package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/migrations"
)

// migrationsUpTo is the SQLite migrations numbered up to last.
func migrationsUpTo(t *testing.T, last string) fs.FS {
	t.Helper()
	all := migrations.SQLite()
	out := fstest.MapFS{}
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n[:5] <= last {
			b, err := fs.ReadFile(all, n)
			if err != nil {
				t.Fatal(err)
			}
			out[n] = &fstest.MapFile{Data: b}
		}
	}
	return out
}

// 00019 rebuilds the schedules and their fires to widen a CHECK: every row,
// the spread and the fires' link to their schedule survive it, and the
// foreign key still cascades.
func TestScheduleRebuildKeepsRows(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := sqlmigrate.Up(ctx, db, sqlmigrate.SQLite, migrationsUpTo(t, "00018")); err != nil {
		t.Fatal(err)
	}
	const p, o, s, f = "00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000b",
		"00000000-0000-7000-8000-00000000000c", "00000000-0000-7000-8000-00000000000d"
	for _, q := range []string{
		`INSERT INTO partners (id, name, created_at, updated_at) VALUES ('` + p + `', 'P', 1, 1)`,
		`INSERT INTO organizations (id, partner_id, name, created_at, updated_at) VALUES ('` + o + `', '` + p + `', 'O', 1, 1)`,
		`INSERT INTO schedules (id, partner_id, org_id, name, time_zone, cron, target_kind, target_ids, task_kind, action,
			offline_policy, spread_seconds, next_fire_at, created_at, updated_at)
			VALUES ('` + s + `', '` + p + `', '` + o + `', 'nightly', 'UTC', '0 2 * * *', 'org', '["` + o + `"]', 'action', 'uptime',
			'skip', 42, 777, 1, 1)`,
		`INSERT INTO schedule_fires (id, schedule_id, partner_id, org_id, fire_at, fired_at, status, error, command_ids)
			VALUES ('` + f + `', '` + s + `', '` + p + `', '` + o + `', 5, 6, 'fired', 'note', '["x"]')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := sqlmigrate.Up(ctx, db, sqlmigrate.SQLite, migrationsUpTo(t, "00019")); err != nil {
		t.Fatal(err)
	}
	var name, cmds, fireErr string
	var spread, next int
	if err := db.QueryRowContext(ctx, `SELECT s.name, s.spread_seconds, s.next_fire_at, f.command_ids, f.error
		FROM schedules s JOIN schedule_fires f ON f.schedule_id = s.id`).Scan(&name, &spread, &next, &cmds, &fireErr); err != nil {
		t.Fatal(err)
	}
	if name != "nightly" || spread != 42 || next != 777 || cmds != `["x"]` || fireErr != "note" {
		t.Fatalf("after the rebuild: %q %d %d %s %q", name, spread, next, cmds, fireErr)
	}
	if _, err := db.ExecContext(ctx, `UPDATE schedules SET task_kind = 'discovery' WHERE id = ?`, s); err != nil {
		t.Fatalf("the widened CHECK: %v", err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE schedules SET task_kind = 'macro' WHERE id = ?`, s); err == nil {
		t.Fatal("the CHECK accepts anything after the rebuild")
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM schedules WHERE id = ?`, s); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schedule_fires`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("fires left after their schedule went: %d %v", left, err)
	}
}
