package tickets

import (
	"context"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/memory"
)

func TestWatchRevoked(t *testing.T) {
	bus := memory.NewBus(memory.BusOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bySession, err := WatchRevoked(ctx, bus, "u1", "s1")
	if err != nil {
		t.Fatal(err)
	}
	byUser, err := WatchRevoked(ctx, bus, "u1", "s2")
	if err != nil {
		t.Fatal(err)
	}
	other, err := WatchRevoked(ctx, bus, "u2", "s3")
	if err != nil {
		t.Fatal(err)
	}
	_ = PublishRevoked(ctx, bus, Revocation{SessionID: "s1"})
	wait(t, bySession, true)
	wait(t, byUser, false)
	_ = PublishRevoked(ctx, bus, Revocation{UserID: "u1"})
	wait(t, byUser, true)
	wait(t, other, false)
}

func wait(t *testing.T, c <-chan struct{}, want bool) {
	t.Helper()
	select {
	case <-c:
		if !want {
			t.Fatal("revoked, but should not be")
		}
	case <-time.After(200 * time.Millisecond):
		if want {
			t.Fatal("not revoked")
		}
	}
}
