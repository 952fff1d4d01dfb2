package sqlmigrate

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"
)

func TestFailingMigrationReportsTheLastGoodVersion(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x INTEGER);\n")},
		"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (x INTEGER);\nTHIS IS NOT SQL;\n")},
	}
	res, err := Up(context.Background(), db, SQLite, fsys)
	if err == nil {
		t.Fatal("expected the second migration to fail")
	}
	if res.To != 1 || len(res.Applied) != 1 || !strings.Contains(err.Error(), "00002_b.sql") ||
		!strings.Contains(err.Error(), "version 1") {
		t.Fatalf("result %+v, error %v", res, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("table b must be rolled back: n=%d err=%v", n, err)
	}
	pending, err := Pending(context.Background(), db, SQLite, fsys)
	if err != nil || !pending {
		t.Fatalf("pending = %v, %v", pending, err)
	}
}
