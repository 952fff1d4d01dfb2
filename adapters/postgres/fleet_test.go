package postgres_test

import (
	"testing"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/storetest"
)

// TestFleetConformance runs the shared fleet summary suite.
func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, func(t testing.TB) ports.Store { return newStore(t) })
}
