package pgtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

func TestNewDatabaseIsPrivateAndDropped(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("use", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		other := pgtest.NewDatabase(t)
		if url == other {
			t.Fatalf("two calls returned the same database %s", url)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connect to %s: %v", url, err)
		}
		// Left open on purpose: the drop must still succeed (WITH FORCE).
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "breeze_test_") || !strings.Contains(url, "/"+name) {
			t.Fatalf("database %q at %s", name, url)
		}
	})
	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after the test ended", name)
	}
}
