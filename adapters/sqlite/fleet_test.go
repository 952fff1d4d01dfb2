package sqlite

import (
	"testing"

	"github.com/breeze-rmm/breeze/ports/storetest"
)

// TestFleetConformance runs the shared fleet summary suite.
func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, newConformanceStore)
}

// BenchmarkFleet measures the fleet summary's reads on a seeded fleet.
func BenchmarkFleet(b *testing.B) {
	storetest.RunFleetBenchmarks(b, newConformanceStore, nil)
}
