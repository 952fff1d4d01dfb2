package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/internal/testsvc"
)

// /readyz covers every dependency: it fails while Redis is down and while
// the database cannot take a write, and recovers with them.
func TestReadinessCoversEveryDependency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "breeze.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r := testsvc.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: r.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer client.Close()
	ready := Readiness(st, client)
	check := func(when string, want bool) {
		t.Helper()
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		err := ready(pctx)
		if (err == nil) != want {
			t.Fatalf("%s: ready = %v, want ready %v", when, err, want)
		}
	}
	check("all up", true)

	r.Stop()
	check("Redis down", false)
	r.Start()
	check("Redis back", true)

	// A full database: the writer may not grow the file by one page.
	var pages int64
	if err := st.WriterDB().QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriterDB().ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	check("database full", false)
	if _, err := st.WriterDB().ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	check("database has room again", true)

	// Without Redis configured, only the database counts.
	if err := Readiness(st, nil)(ctx); err != nil {
		t.Fatalf("no Redis configured: %v", err)
	}
}
