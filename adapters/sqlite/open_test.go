package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// openTest opens and migrates a fresh database under t.TempDir().
func openTest(t testing.TB, path string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func TestOpenCreatesDirAndMigrates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "breeze.db")
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	res, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if res.From != 0 || res.To < 1 || len(res.Applied) == 0 || !strings.HasSuffix(res.Applied[0], "00001_tenancy.sql") {
		t.Fatalf("first migrate = %+v, want 00001_tenancy.sql applied from 0", res)
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again.Applied) != 0 || again.From != res.To {
		t.Fatalf("second migrate = %+v, %v; want nothing applied at version %d", again, err, res.To)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "a?b.db")} {
		if s, err := Open(context.Background(), Options{Path: p}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("pragma %s: %v", name, err)
	}
	return v
}

func TestPragmasOnEveryConnection(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "b.db"))
	for name, db := range map[string]*sql.DB{"writer": s.WriterDB(), "reader": s.ReaderDB()} {
		want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "1"}
		for p, w := range want {
			if got := pragma(t, db, p); got != w {
				t.Errorf("%s: pragma %s = %q, want %q", name, p, got, w)
			}
		}
	}
	if got := s.WriterDB().Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
	// The writer never checkpoints by itself: the checkpointer does, beside it.
	if got := pragma(t, s.WriterDB(), "wal_autocheckpoint"); got != "0" {
		t.Errorf("writer: wal_autocheckpoint = %s, want 0", got)
	}
	if got := pragma(t, s.WriterDB(), "cache_size"); got != fmt.Sprint(-writerCacheKiB) {
		t.Errorf("writer: cache_size = %s, want %d", got, -writerCacheKiB)
	}
	if pragma(t, s.ReaderDB(), "query_only") != "1" {
		t.Error("reader connections are not query_only")
	}
	if _, err := s.ReaderDB().Exec("CREATE TABLE nope (x INTEGER)"); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestFailedMigrationLeavesNoHalfSchema(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "m.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fsys := fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x INTEGER);\n")},
		"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (x INTEGER);\nINSERT INTO b VALUES (1);\nINSERT INTO missing_table VALUES (1);\n")},
	}
	if _, err := sqlmigrate.Up(ctx, s.WriterDB(), sqlmigrate.SQLite, fsys); err == nil {
		t.Fatal("a failing migration reported success")
	}
	var version int64
	if err := s.ReaderDB().QueryRow("SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 1 {
		t.Errorf("recorded schema version after failure = %d, want 1", version)
	}
	tables := map[string]bool{}
	rows, err := s.ReaderDB().Query("SELECT name FROM sqlite_schema WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables[n] = true
	}
	rows.Close()
	if !tables["a"] || tables["b"] {
		t.Errorf("tables after failed migration = %v, want a present and b absent", tables)
	}
	pending, err := sqlmigrate.Pending(ctx, s.WriterDB(), sqlmigrate.SQLite, fsys)
	if err != nil || !pending {
		t.Errorf("pending = %v, %v; want the failed migration still pending", pending, err)
	}
}

// Two stores on one file stand for two processes; each runs concurrent
// writers. The single writer queues them in-process and busy_timeout with
// BEGIN IMMEDIATE across processes: nobody sees SQLITE_BUSY.
func TestConcurrentWritersDoNotFailBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	a := openTest(t, path)
	b := openTest(t, path)
	ctx := context.Background()
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "msp"}
	if err := a.Partners().Create(ctx, g, p); err != nil {
		t.Fatal(err)
	}
	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for i, st := range []*Store{a, b, a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				o := &domain.Organization{PartnerID: p.ID, Name: fmt.Sprintf("org-%d-%d", i, j)}
				if j%2 == 0 {
					errs <- st.Orgs().Create(ctx, g, o)
					continue
				}
				errs <- st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
					if err := tx.Orgs().Create(ctx, g, o); err != nil {
						return err
					}
					_, err := tx.Orgs().Get(ctx, g, o.ID)
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write failed: %v", err)
		}
	}
	page, err := b.Orgs().List(ctx, g, ports.OrgFilter{PartnerID: p.ID}, domain.PageRequest{Limit: domain.MaxPageSize})
	if err != nil || len(page.Items) != workers*each {
		t.Fatalf("list = %d orgs, %v; want %d", len(page.Items), err, workers*each)
	}
}
