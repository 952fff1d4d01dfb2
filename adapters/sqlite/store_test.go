package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/storetest"
)

// newConformanceStore opens a fresh, migrated database in its own directory.
func newConformanceStore(t testing.TB) ports.Store {
	return openTest(t, filepath.Join(t.TempDir(), "breeze.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newConformanceStore)
}

func TestIdentityConformance(t *testing.T) {
	storetest.RunIdentity(t, func(t testing.TB) ports.Store {
		return openTest(t, filepath.Join(t.TempDir(), "breeze.db"))
	})
}

func newAgentStore(t testing.TB) ports.Store {
	return openTest(t, filepath.Join(t.TempDir(), "breeze.db"))
}

func TestAgentConformance(t *testing.T) {
	storetest.RunAgents(t, newAgentStore)
}

func BenchmarkAgents(b *testing.B) {
	storetest.RunAgentBenchmarks(b, newAgentStore)
}

func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, newConformanceStore)
}
