package remote

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/core/app/relay"
)

// flakyRegistry is a presence registry that can be down or lose its data
// (Redis stopped, Redis restarted empty).
type flakyRegistry struct {
	mu    sync.Mutex
	down  bool
	nodes map[string]string
}

var errDown = errors.New("registry down")

func (f *flakyRegistry) Claim(_ context.Context, id, node string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	f.nodes[id] = node
	return nil
}

func (f *flakyRegistry) ClaimAll(ctx context.Context, ids []string, node string, ttl time.Duration) error {
	for _, id := range ids {
		if err := f.Claim(ctx, id, node, ttl); err != nil {
			return err
		}
	}
	return nil
}

func (f *flakyRegistry) Release(_ context.Context, id, node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	if f.nodes[id] == node {
		delete(f.nodes, id)
	}
	return nil
}

func (f *flakyRegistry) Lookup(_ context.Context, id string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", false, errDown
	}
	n, ok := f.nodes[id]
	return n, ok, nil
}

func (f *flakyRegistry) set(down, wipe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	if wipe {
		f.nodes = map[string]string{}
	}
}

type holdAll struct{}

func (holdAll) SendRaw(string, []byte) (bool, bool) { return true, true }
func (holdAll) Holds(string) bool                   { return true }

// delivered records DeliverPending calls.
type delivered struct {
	fakeCommands
	mu  sync.Mutex
	ids []string
}

func (d *delivered) DeliverPending(_ context.Context, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, id)
}

func (d *delivered) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ids)
}

// When the presence registry comes back (down, or restarted empty), the
// node's claims are made again within seconds, not at the next renewal,
// and what waits for its devices is delivered again over their links.
func TestPresenceRepublishedWhenTheRegistryReturns(t *testing.T) {
	reg := &flakyRegistry{nodes: map[string]string{}}
	bus := memory.NewBus(memory.BusOptions{})
	defer bus.Close()
	rl, err := relay.New(relay.Deps{Bus: bus, Registry: reg, NodeID: "node-a", Links: holdAll{}, ClaimTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cmds := &delivered{}
	r := New(Deps{Relay: rl, Commands: cmds})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	go func() { _ = rl.Run(ctx, ready) }()
	<-ready
	go r.Run(ctx)
	r.LinkUp(ctx, "d1") // claims d1 and delivers its pending work once
	base := cmds.count()

	claimed := func() bool { n, ok, err := reg.Lookup(ctx, "d1"); return err == nil && ok && n == "node-a" }
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, c := range []struct {
		name string
		down bool
	}{{"restarted empty", false}, {"down, then back empty", true}} {
		reg.set(c.down, true)
		if c.down {
			time.Sleep(1500 * time.Millisecond) // a failed check or two
			reg.set(false, false)
		}
		wait(c.name+": d1 claimed again", claimed)
		wait(c.name+": pending work delivered again", func() bool { return cmds.count() > base })
		base = cmds.count()
	}
}
