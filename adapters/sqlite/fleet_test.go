package sqlite

import (
	"testing"

	"github.com/breeze-rmm/breeze/ports/storetest"
)

// TestFleetConformance runs the shared fleet summary suite.
func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, newConformanceStore)
}
