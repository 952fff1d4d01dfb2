package postgres_test

import (
	"context"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/storetest"
)

// open opens url and closes the store when the test ends.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newStore gives a test a migrated store on its own fresh database.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	st := open(t, pgtest.NewDatabase(t))
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// TestConformance runs the shared ports.Store suite; every group of tests
// gets its own fresh, migrated database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) ports.Store { return newStore(t) })
}

// TestIdentityConformance runs the shared identity suite (users, roles,
// grants, API keys, refresh tokens, audit log) on fresh, migrated databases.
func TestIdentityConformance(t *testing.T) {
	storetest.RunIdentity(t, func(t testing.TB) ports.Store { return newStore(t) })
}

// BenchmarkStore runs the shared device upsert and list benchmarks.
func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, func(t testing.TB) ports.Store { return newStore(t) })
}

// TestAgentConformance runs the shared agent-link suite (enrollment keys,
// agent tokens, presence, telemetry, inventory) on fresh, migrated databases.
func TestAgentConformance(t *testing.T) {
	storetest.RunAgents(t, func(t testing.TB) ports.Store { return newStore(t) })
}

// BenchmarkAgents runs the shared heartbeat ingest, chart query and presence
// benchmarks.
func BenchmarkAgents(b *testing.B) {
	storetest.RunAgentBenchmarks(b, func(t testing.TB) ports.Store { return newStore(t) })
}
