package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
)

func TestOpenMalformedURL(t *testing.T) {
	for _, u := range []string{"", "postgres://user:secret@host:notaport/db", "postgres://%zz"} {
		st, err := postgres.Open(context.Background(), postgres.Options{URL: u})
		if err == nil {
			st.Close()
			t.Fatalf("Open(%q) succeeded", u)
		}
		msg := err.Error()
		if !strings.Contains(msg, "URL") {
			t.Errorf("Open(%q) error does not name the URL: %v", u, err)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("Open(%q) error leaks the password: %v", u, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	st, err := postgres.Open(context.Background(), postgres.Options{URL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"})
	if err == nil {
		st.Close()
		t.Fatal("Open on port 1 succeeded")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1 is unreachable") {
		t.Errorf("error does not say the database is unreachable: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %v to give up", d)
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	var wg sync.WaitGroup
	results := make([]sqlmigrate.Result, 2)
	errs := make([]error, 2)
	for i, st := range []*postgres.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = st.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate %d: %v", i, err)
		}
	}
	if n := len(results[0].Applied) + len(results[1].Applied); n == 0 || results[0].To != results[1].To {
		t.Fatalf("concurrent migrations: %+v and %+v", results[0], results[1])
	}
	if len(results[0].Applied) > 0 && len(results[1].Applied) > 0 {
		t.Fatalf("both nodes applied migrations: %+v and %+v", results[0], results[1])
	}
	again, err := a.Migrate(ctx)
	if err != nil || len(again.Applied) != 0 || again.From != results[0].To {
		t.Fatalf("second Migrate: %+v, %v", again, err)
	}
}

func TestFailingMigrationLeavesNoHalfSchema(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	fsys := fstest.MapFS{
		"00001_good.sql": {Data: []byte("-- +goose Up\nCREATE TABLE good (id int);\n")},
		"00002_bad.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE half (id int);\nSELECT no_such_column FROM good;\n")},
	}
	// The schema state is read from the database itself: sqlmigrate's Result
	// is not what is asserted here.
	_, err = sqlmigrate.Up(ctx, db, sqlmigrate.Postgres, fsys)
	if err == nil {
		t.Fatal("Up with bad SQL succeeded")
	}
	if !strings.Contains(err.Error(), "00002_bad.sql") {
		t.Fatalf("Up error does not name the failing file: %v", err)
	}
	if !tableExists(t, db, "good") || tableExists(t, db, "half") {
		t.Fatal("the failing migration left part of its schema behind")
	}
	var v int64
	if err := db.QueryRowContext(ctx, "SELECT max(version_id) FROM goose_db_version").Scan(&v); err != nil || v != 1 {
		t.Fatalf("recorded version = %d, %v; want 1", v, err)
	}
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
