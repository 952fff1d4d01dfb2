package memory

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/registrytest"
)

func TestPresenceRegistryConformance(t *testing.T) {
	registrytest.Run(t, func(t testing.TB) ports.PresenceRegistry {
		return NewPresenceRegistry(PresenceRegistryOptions{})
	})
}

// Expiry to the nanosecond, and agents that vanish without a Release are
// swept instead of piling up.
func TestPresenceRegistryExpiryAndSweep(t *testing.T) {
	clock := newRLFakeClock()
	r := NewPresenceRegistry(PresenceRegistryOptions{Clock: clock})
	ctx := context.Background()
	for i := range 1000 {
		if err := r.Claim(ctx, "gone:"+strconv.Itoa(i), "node-a", 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(30*time.Second - time.Nanosecond)
	if _, ok, _ := r.Lookup(ctx, "gone:7"); !ok {
		t.Fatal("entry gone before its TTL")
	}
	clock.Add(time.Nanosecond)
	if _, ok, _ := r.Lookup(ctx, "gone:7"); ok {
		t.Fatal("entry still there at its TTL")
	}
	clock.Add(registrySweepEvery)
	if err := r.Claim(ctx, "live", "node-a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := r.Len(); n != 1 {
		t.Fatalf("Len = %d after the sweep, want 1", n)
	}
}
