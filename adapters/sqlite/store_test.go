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
	storetest.RunIdentity(t, func(t testing.TB) storetest.IdentityStore {
		return openTest(t, filepath.Join(t.TempDir(), "breeze.db"))
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, newConformanceStore)
}
