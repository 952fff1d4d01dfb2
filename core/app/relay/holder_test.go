package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/relay"
)

type links map[string]bool

func (l links) SendRaw(id string, _ []byte) (bool, bool) { return l[id], l[id] }
func (l links) Holds(id string) bool                     { return l[id] }

// A node's liveness claim is renewed while it runs, well past NodeTTL; once
// it stops (killed), the devices it claimed are known orphaned within
// NodeTTL although their claims live on. A released claim is no orphan.
func TestHolderDied(t *testing.T) {
	reg := memory.NewPresenceRegistry(memory.PresenceRegistryOptions{})
	bus := memory.NewBus(memory.BusOptions{})
	defer bus.Close()
	const ttl = 1500 * time.Millisecond
	a, err := relay.New(relay.Deps{Bus: bus, Registry: reg, NodeID: "node-a", Links: links{"d1": true, "d2": true}, NodeTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	b, err := relay.New(relay.Deps{Bus: bus, Registry: reg, NodeID: "node-b", Links: links{}, NodeTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	actx, kill := context.WithCancel(ctx)
	defer kill()
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(actx, ready) }()
	<-ready
	for _, id := range []string{"d1", "d2"} {
		if err := a.Linked(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Unlinked(ctx, "d2"); err != nil {
		t.Fatal(err)
	}
	died := func(id string) bool {
		t.Helper()
		v, err := b.HolderDied(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	time.Sleep(2 * ttl) // renewed meanwhile
	if died("d1") || died("d2") {
		t.Fatal("a running node's device counts as orphaned")
	}
	if v, _ := a.HolderDied(ctx, "d1"); v {
		t.Fatal("the holding node thinks itself dead")
	}
	kill()
	<-done
	deadline := time.Now().Add(ttl + 2*time.Second)
	for !died("d1") {
		if time.Now().After(deadline) {
			t.Fatal("the killed node's device is not orphaned within NodeTTL")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if died("d2") {
		t.Fatal("a released claim counts as orphaned")
	}
}
