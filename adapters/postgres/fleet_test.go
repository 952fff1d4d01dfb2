package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/storetest"
)

// TestFleetConformance runs the shared fleet summary suite.
func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, func(t testing.TB) ports.Store { return newStore(t) })
}

// BenchmarkFleet measures the fleet summary's reads on a seeded fleet,
// after ANALYZE: in service autovacuum gathers the planner's statistics
// within a minute of such a load, and the plans depend on them.
func BenchmarkFleet(b *testing.B) {
	urls := map[ports.Store]string{}
	storetest.RunFleetBenchmarks(b, func(t testing.TB) ports.Store {
		url := pgtest.NewDatabase(t)
		st := open(t, url)
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		urls[st] = url
		return st
	}, func(tb testing.TB, st ports.Store) {
		conn, err := pgx.Connect(context.Background(), urls[st])
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "ANALYZE"); err != nil {
			tb.Fatal(err)
		}
	})
}
