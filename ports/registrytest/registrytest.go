// Package registrytest is the conformance suite of ports.PresenceRegistry.
// Every adapter runs Run unchanged.
//
// The suite uses real time with TTLs of a few hundred milliseconds. Its
// timing assertions rest on causality: a claim sent at local time s cannot
// expire before s+ttl, and one answered at r expires by about r+ttl (plus
// the backend's expiry lag, allowed generously).
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Run runs the suite. newRegistry returns a fresh, empty registry (it may
// register cleanups on t); nodes are told apart only by their node ids.
func Run(t *testing.T, newRegistry func(t testing.TB) ports.PresenceRegistry) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, r ports.PresenceRegistry)
	}{
		{"InvalidInput", testInvalidInput},
		{"ClaimLookup", testClaimLookup},
		{"Expiry", testExpiry},
		{"RefreshKeepsAlive", testRefresh},
		{"ReleaseOnlyByHolder", testReleaseOnlyByHolder},
		{"ReclaimByAnotherNode", testReclaim},
		{"Concurrent", testConcurrent},
		{"ContextDone", testContextDone},
		{"ClaimAll", testClaimAll},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newRegistry(t)) })
	}
}

func claim(t *testing.T, r ports.PresenceRegistry, agent, node string, ttl time.Duration) {
	t.Helper()
	if err := r.Claim(context.Background(), agent, node, ttl); err != nil {
		t.Fatalf("Claim(%q, %q, %s): %v", agent, node, ttl, err)
	}
}

func release(t *testing.T, r ports.PresenceRegistry, agent, node string) {
	t.Helper()
	if err := r.Release(context.Background(), agent, node); err != nil {
		t.Fatalf("Release(%q, %q): %v", agent, node, err)
	}
}

func lookup(t *testing.T, r ports.PresenceRegistry, agent string) (string, bool) {
	t.Helper()
	node, ok, err := r.Lookup(context.Background(), agent)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", agent, err)
	}
	if !ok && node != "" {
		t.Errorf("Lookup(%q) = %q with ok=false, want an empty node", agent, node)
	}
	return node, ok
}

func wantHolder(t *testing.T, r ports.PresenceRegistry, agent, node string) {
	t.Helper()
	got, ok := lookup(t, r, agent)
	if !ok || got != node {
		t.Fatalf("Lookup(%q) = %q, %v; want %q", agent, got, ok, node)
	}
}

func wantNone(t *testing.T, r ports.PresenceRegistry, agent string) {
	t.Helper()
	if got, ok := lookup(t, r, agent); ok {
		t.Fatalf("Lookup(%q) = %q, want no holder", agent, got)
	}
}

func testInvalidInput(t *testing.T, r ports.PresenceRegistry) {
	ctx := context.Background()
	long := strings.Repeat("x", ports.MaxPresenceIDLen+1)
	for _, c := range []struct {
		agent, node string
		ttl         time.Duration
	}{
		{"", "n", time.Minute},
		{"a", "", time.Minute},
		{long, "n", time.Minute},
		{"a", long, time.Minute},
		{"a", "n", 0},
		{"a", "n", -time.Second},
		{"a", "n", time.Microsecond},
	} {
		if err := r.Claim(ctx, c.agent, c.node, c.ttl); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Claim(%q, %q, %s): err = %v, want ErrInvalid", c.agent, c.node, c.ttl, err)
		}
	}
	for _, c := range [][2]string{{"", "n"}, {"a", ""}, {long, "n"}} {
		if err := r.Release(ctx, c[0], c[1]); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Release(%q, %q): err = %v, want ErrInvalid", c[0], c[1], err)
		}
	}
	for _, a := range []string{"", long} {
		if _, ok, err := r.Lookup(ctx, a); !errors.Is(err, domain.ErrInvalid) || ok {
			t.Errorf("Lookup(%q): ok=%v err=%v, want ErrInvalid", a, ok, err)
		}
	}
	wantNone(t, r, "a") // the rejected claims recorded nothing
	edge := strings.Repeat("y", ports.MaxPresenceIDLen)
	claim(t, r, edge, edge, ports.MinPresenceTTL*1000)
	wantHolder(t, r, edge, edge)
}

func testClaimLookup(t *testing.T, r ports.PresenceRegistry) {
	wantNone(t, r, "never-claimed")
	claim(t, r, "agent-1", "node-a", time.Minute)
	claim(t, r, "agent-2", "node-b", time.Minute)
	wantHolder(t, r, "agent-1", "node-a")
	wantHolder(t, r, "agent-2", "node-b")
	// Ids that differ only by characters a careless key builder or glob would
	// treat specially are distinct agents.
	for _, a := range []string{"agent-*", "agent-?", "agent-[12]", "AGENT-1", "agent-1 ", "agent-1:x"} {
		wantNone(t, r, a)
	}
	// Claiming again by the same node is a refresh, not a change.
	claim(t, r, "agent-1", "node-a", time.Minute)
	wantHolder(t, r, "agent-1", "node-a")
	// Releasing an unknown agent is not an error.
	release(t, r, "never-claimed", "node-a")
}

// retry runs a timing scenario up to three times with fresh agents; a run
// returns false when the machine stalled past its timing preconditions.
func retry(t *testing.T, name string, run func(agent string) bool) {
	t.Helper()
	for attempt := range 3 {
		if run(fmt.Sprintf("%s-%d", name, attempt)) {
			return
		}
		t.Logf("%s: attempt %d stalled, retrying", name, attempt+1)
	}
	t.Fatalf("%s: the machine stalled on every attempt; timing could not be checked", name)
}

// expiryLag is how late past its TTL an entry may still be seen (Redis
// expires lazily on access, to the millisecond, which is well within it).
const expiryLag = 2 * time.Second

func testExpiry(t *testing.T, r ports.PresenceRegistry) {
	const ttl = 200 * time.Millisecond
	retry(t, "expiry", func(agent string) bool {
		sent := time.Now()
		claim(t, r, agent, "node-a", ttl)
		answered := time.Now()
		node, ok := lookup(t, r, agent)
		if time.Since(sent) >= ttl-5*time.Millisecond {
			return false
		}
		if !ok || node != "node-a" {
			t.Fatalf("right after Claim: %q, %v; want node-a", node, ok)
		}
		for {
			_, ok := lookup(t, r, agent)
			if !ok {
				// Gone: never before ttl after the claim was sent (1 ms for
				// millisecond rounding).
				if since := time.Since(sent); since < ttl-time.Millisecond {
					t.Fatalf("expired %s after Claim, TTL %s", since, ttl)
				}
				return true
			}
			if time.Since(answered) > ttl+expiryLag {
				t.Fatalf("still held %s after Claim answered, TTL %s", time.Since(answered), ttl)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func testRefresh(t *testing.T, r ports.PresenceRegistry) {
	const ttl = 250 * time.Millisecond
	retry(t, "refresh", func(agent string) bool {
		claim(t, r, agent, "node-a", ttl)
		start := time.Now()
		for time.Since(start) < 3*ttl {
			sent := time.Now()
			claim(t, r, agent, "node-a", ttl)
			time.Sleep(ttl / 5)
			node, ok := lookup(t, r, agent)
			if time.Since(sent) >= ttl {
				return false
			}
			if !ok || node != "node-a" {
				t.Fatalf("lost %s after the latest refresh (%s after the first claim), TTL %s", time.Since(sent), time.Since(start), ttl)
			}
		}
		return true
	})
}

func testReleaseOnlyByHolder(t *testing.T, r ports.PresenceRegistry) {
	claim(t, r, "agent-r", "node-a", time.Minute)
	release(t, r, "agent-r", "node-b") // not the holder: no effect
	release(t, r, "agent-r", "node-A") // ids are exact
	release(t, r, "agent-r", "node-a ")
	wantHolder(t, r, "agent-r", "node-a")
	release(t, r, "agent-r", "node-a")
	wantNone(t, r, "agent-r")
	release(t, r, "agent-r", "node-a") // twice is fine
	wantNone(t, r, "agent-r")
	// Release touches only its agent.
	claim(t, r, "agent-s", "node-a", time.Minute)
	claim(t, r, "agent-t", "node-a", time.Minute)
	release(t, r, "agent-s", "node-a")
	wantNone(t, r, "agent-s")
	wantHolder(t, r, "agent-t", "node-a")
}

func testReclaim(t *testing.T, r ports.PresenceRegistry) {
	// The agent reconnects to node-b before node-a noticed its link died.
	claim(t, r, "agent-m", "node-a", time.Minute)
	claim(t, r, "agent-m", "node-b", time.Minute)
	wantHolder(t, r, "agent-m", "node-b")
	// node-a closes its stale link: the newer claim stays.
	release(t, r, "agent-m", "node-a")
	wantHolder(t, r, "agent-m", "node-b")
	// The new claim carries its own TTL: node-b's short claim expires even
	// though node-a's long one would not have.
	claim(t, r, "agent-n", "node-a", time.Minute)
	claim(t, r, "agent-n", "node-b", 50*time.Millisecond)
	deadline := time.Now().Add(expiryLag + time.Second)
	for {
		node, ok := lookup(t, r, "agent-n")
		if !ok {
			break
		}
		if node != "node-b" {
			t.Fatalf("Lookup = %q after node-b's claim, want node-b", node)
		}
		if time.Now().After(deadline) {
			t.Fatal("node-b's 50ms claim still held after its TTL (kept node-a's TTL?)")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// After expiry, node-a may claim again.
	claim(t, r, "agent-n", "node-a", time.Minute)
	wantHolder(t, r, "agent-n", "node-a")
}

func testConcurrent(t *testing.T, r ports.PresenceRegistry) {
	const nodes, agents = 8, 50
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, nodes*agents*3)
	// Every node claims every shared agent, then releases it; meanwhile each
	// node also claims agents of its own and keeps them.
	for n := range nodes {
		node := fmt.Sprintf("node-%d", n)
		wg.Go(func() {
			for a := range agents {
				shared := fmt.Sprintf("shared-%d", a)
				if err := r.Claim(ctx, shared, node, time.Minute); err != nil {
					errc <- err
				}
				if err := r.Release(ctx, shared, node); err != nil {
					errc <- err
				}
				if err := r.Claim(ctx, fmt.Sprintf("own-%d-%d", n, a), node, time.Minute); err != nil {
					errc <- err
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for n := range nodes {
		for a := range agents {
			wantHolder(t, r, fmt.Sprintf("own-%d-%d", n, a), fmt.Sprintf("node-%d", n))
		}
	}
	// A shared agent is held by nobody, or by a node whose Claim came after
	// the last Release that would have removed it — in every case by one of
	// the claimers.
	for a := range agents {
		if node, ok := lookup(t, r, fmt.Sprintf("shared-%d", a)); ok && !strings.HasPrefix(node, "node-") {
			t.Errorf("shared-%d held by %q", a, node)
		}
	}

	// Compare-and-delete is atomic: node-a's releases racing node-b's claims
	// never delete node-b's claim.
	claim(t, r, "contested", "node-b", time.Minute)
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if err := r.Release(ctx, "contested", "node-a"); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				if err := r.Claim(ctx, "contested", "node-b", time.Minute); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantHolder(t, r, "contested", "node-b")
}

func testContextDone(t *testing.T, r ports.PresenceRegistry) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Claim(ctx, "agent-c", "node-a", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Claim with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	wantNone(t, r, "agent-c")
	claim(t, r, "agent-c", "node-a", time.Minute)
	if err := r.Release(ctx, "agent-c", "node-a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Release with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	wantHolder(t, r, "agent-c", "node-a")
	if _, ok, err := r.Lookup(ctx, "agent-c"); !errors.Is(err, context.Canceled) || ok {
		t.Errorf("Lookup with a cancelled ctx: ok=%v err=%v, want context.Canceled", ok, err)
	}
}

// ClaimAll claims many agents at once (more than one pipeline's worth in
// an adapter that chunks them), as Claim would each; an invalid id claims
// none of them; a done ctx claims nothing.
func testClaimAll(t *testing.T, r ports.PresenceRegistry) {
	ctx := context.Background()
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = fmt.Sprintf("all-%d", i)
	}
	claim(t, r, "all-7", "node-b", time.Minute)
	if err := r.ClaimAll(ctx, ids, "node-a", time.Minute); err != nil {
		t.Fatalf("ClaimAll: %v", err)
	}
	for _, i := range []int{0, 7, 999, 1000, 1001, 2499} {
		wantHolder(t, r, ids[i], "node-a")
	}
	if err := r.ClaimAll(ctx, nil, "node-a", time.Minute); err != nil {
		t.Errorf("ClaimAll of none: %v", err)
	}
	for _, c := range []struct {
		ids  []string
		node string
		ttl  time.Duration
	}{
		{[]string{"all-x", ""}, "node-a", time.Minute},
		{[]string{"all-x", strings.Repeat("x", ports.MaxPresenceIDLen+1)}, "node-a", time.Minute},
		{[]string{"all-x"}, "", time.Minute},
		{[]string{"all-x"}, "node-a", 0},
	} {
		if err := r.ClaimAll(ctx, c.ids, c.node, c.ttl); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ClaimAll(%q, %q, %s): err = %v, want ErrInvalid", c.ids, c.node, c.ttl, err)
		}
	}
	wantNone(t, r, "all-x")
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.ClaimAll(done, []string{"all-y"}, "node-a", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimAll with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	wantNone(t, r, "all-y")
	// Claims made together expire together, and a later single claim by
	// another node wins as usual.
	const ttl = 300 * time.Millisecond
	retry(t, "claim all expiry", func(agent string) bool {
		sent := time.Now()
		if err := r.ClaimAll(ctx, []string{agent + "-1", agent + "-2"}, "node-a", ttl); err != nil {
			t.Fatalf("ClaimAll: %v", err)
		}
		claim(t, r, agent+"-2", "node-b", time.Minute)
		_, ok := lookup(t, r, agent+"-1")
		if time.Since(sent) >= ttl {
			return false
		}
		if !ok {
			t.Fatalf("claim made by ClaimAll gone %s later, TTL %s", time.Since(sent), ttl)
		}
		wantHolder(t, r, agent+"-2", "node-b")
		deadline := sent.Add(ttl + expiryLag)
		for {
			if _, ok := lookup(t, r, agent+"-1"); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("claim made by ClaimAll still held %s later, TTL %s", time.Since(sent), ttl)
			}
			time.Sleep(10 * time.Millisecond)
		}
		wantHolder(t, r, agent+"-2", "node-b")
		return true
	})
}
