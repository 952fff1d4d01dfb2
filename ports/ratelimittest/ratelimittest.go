// Package ratelimittest is the conformance suite of ports.RateLimiter.
// Every adapter runs Run unchanged.
//
// The suite uses real time (the Redis adapter takes its clock from the
// server), with windows of a few hundred milliseconds. Its timing assertions
// rest on causality, not on exact sleeps: when the suite sleeps d after an
// answer, the next request is at least d later on the limiter's clock too.
package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Run runs the suite. newLimiter returns a fresh limiter with no keys
// (it may register cleanups on t).
func Run(t *testing.T, newLimiter func(t testing.TB) ports.RateLimiter) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, rl ports.RateLimiter)
	}{
		{"InvalidInput", testInvalidInput},
		{"AllowThenDeny", testAllowThenDeny},
		{"KeysIndependent", testKeysIndependent},
		{"WindowSlides", testWindowSlides},
		{"DeniedNotCounted", testDeniedNotCounted},
		{"Reset", testReset},
		{"Concurrent", testConcurrent},
		{"ContextDone", testContextDone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newLimiter(t)) })
	}
}

func allow(t *testing.T, rl ports.RateLimiter, key string, l ports.Limit) ports.Decision {
	t.Helper()
	d, err := rl.Allow(context.Background(), key, l)
	if err != nil {
		t.Fatalf("Allow(%q, %+v): %v", key, l, err)
	}
	checkShape(t, d, l)
	return d
}

// checkShape asserts what every Decision must satisfy.
func checkShape(t *testing.T, d ports.Decision, l ports.Limit) {
	t.Helper()
	if d.ResetAfter <= 0 || d.ResetAfter > l.Window {
		t.Errorf("ResetAfter = %s, want in (0, %s]", d.ResetAfter, l.Window)
	}
	if d.Allowed {
		if d.RetryAfter != 0 {
			t.Errorf("allowed with RetryAfter = %s, want 0", d.RetryAfter)
		}
		if d.Remaining < 0 || d.Remaining >= l.N {
			t.Errorf("allowed with Remaining = %d, want in [0, %d)", d.Remaining, l.N)
		}
		return
	}
	if d.Remaining != 0 {
		t.Errorf("denied with Remaining = %d, want 0", d.Remaining)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > l.Window {
		t.Errorf("denied with RetryAfter = %s, want in (0, %s]", d.RetryAfter, l.Window)
	}
	if d.RetryAfter > d.ResetAfter {
		t.Errorf("RetryAfter %s > ResetAfter %s", d.RetryAfter, d.ResetAfter)
	}
}

func testInvalidInput(t *testing.T, rl ports.RateLimiter) {
	ctx := context.Background()
	for _, l := range []ports.Limit{
		{N: 0, Window: time.Second},
		{N: -1, Window: time.Second},
		{N: 5, Window: 0},
		{N: 5, Window: -time.Second},
	} {
		d, err := rl.Allow(ctx, "invalid", l)
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Allow with %+v: err = %v, want ErrInvalid", l, err)
		}
		if d.Allowed {
			t.Errorf("Allow with %+v: allowed despite the error", l)
		}
	}
	if _, err := rl.Allow(ctx, "", ports.Limit{N: 1, Window: time.Second}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Allow with an empty key: err = %v, want ErrInvalid", err)
	}
	// An invalid call records nothing.
	d := allow(t, rl, "invalid", ports.Limit{N: 1, Window: time.Minute})
	if !d.Allowed {
		t.Errorf("first valid Allow after invalid ones denied: %+v", d)
	}
}

func testAllowThenDeny(t *testing.T, rl ports.RateLimiter) {
	l := ports.Limit{N: 5, Window: time.Minute}
	for i := range l.N {
		d := allow(t, rl, "login:alice@example.com", l)
		if !d.Allowed {
			t.Fatalf("event %d denied: %+v", i+1, d)
		}
		if want := l.N - 1 - i; d.Remaining != want {
			t.Errorf("event %d: Remaining = %d, want %d", i+1, d.Remaining, want)
		}
	}
	for i := range 3 {
		d := allow(t, rl, "login:alice@example.com", l)
		if d.Allowed {
			t.Fatalf("event %d allowed beyond N=%d", l.N+1+i, l.N)
		}
		// The oldest event is seconds old at most: it leaves the window in
		// about a minute, certainly not within half of it.
		if d.RetryAfter < l.Window/2 {
			t.Errorf("RetryAfter = %s, want close to %s", d.RetryAfter, l.Window)
		}
	}
}

func testKeysIndependent(t *testing.T, rl ports.RateLimiter) {
	l := ports.Limit{N: 1, Window: time.Minute}
	// Keys that differ only by characters a careless key builder or glob
	// might treat specially, plus a long and a non-ASCII one.
	keys := []string{"a", "A", "a:", ":a", "a*", "a?", "a[1]", "a b", "a\x00", "ключ", string(make([]byte, 600))}
	for _, k := range keys {
		if d := allow(t, rl, k, l); !d.Allowed {
			t.Errorf("first event of key %q denied", k)
		}
	}
	for _, k := range keys {
		if d := allow(t, rl, k, l); d.Allowed {
			t.Errorf("second event of key %q allowed with N=1", k)
		}
	}
	if d := allow(t, rl, "b", ports.Limit{N: 2, Window: time.Minute}); !d.Allowed || d.Remaining != 1 {
		t.Errorf("fresh key b: %+v, want allowed with Remaining 1", d)
	}
}

// retry runs a timing scenario up to three times with fresh keys. A run
// returns false when the machine stalled so long that its timing
// preconditions no longer hold (it then asserted nothing it could not prove).
func retry(t *testing.T, name string, run func(key string) bool) {
	t.Helper()
	for attempt := range 3 {
		if run(fmt.Sprintf("%s-%d", name, attempt)) {
			return
		}
		t.Logf("%s: attempt %d stalled, retrying", name, attempt+1)
	}
	t.Fatalf("%s: the machine stalled on every attempt; timing could not be checked", name)
}

// The times below are local; the limiter's clock may have another origin
// but runs at the same rate. A request sent at local s and answered at local
// r happened, on the limiter's clock, between s and r (shifted by a constant).

func testWindowSlides(t *testing.T, rl ports.RateLimiter) {
	const gap = 300 * time.Millisecond
	l := ports.Limit{N: 2, Window: time.Second}
	retry(t, "slide", func(key string) bool {
		s1 := time.Now()
		if d := allow(t, rl, key, l); !d.Allowed {
			t.Fatalf("event 1 of a fresh key denied: %+v", d)
		}
		time.Sleep(gap)
		s2 := time.Now()
		d := allow(t, rl, key, l)
		if time.Since(s1) >= l.Window {
			return false // event 1 may have left the window
		}
		if !d.Allowed || d.Remaining != 0 {
			t.Fatalf("event 2: %+v, want allowed with Remaining 0", d)
		}
		d = allow(t, rl, key, l)
		if time.Since(s1) >= l.Window {
			return false
		}
		if d.Allowed {
			t.Fatalf("event 3 allowed beyond N=2")
		}
		// Event 1 is at least gap old, so it leaves within Window-gap; event 2
		// is at least gap younger, so the key empties at least gap later.
		if d.RetryAfter > l.Window-gap {
			t.Errorf("RetryAfter = %s, want <= %s (event 1 is at least %s old)", d.RetryAfter, l.Window-gap, gap)
		}
		if d.ResetAfter-d.RetryAfter < gap-time.Millisecond {
			t.Errorf("ResetAfter %s - RetryAfter %s < %s, the gap between events 1 and 2", d.ResetAfter, d.RetryAfter, gap)
		}
		// Once event 1 has left, one slot is free again; while event 2 still
		// counts, the slot after is not.
		time.Sleep(d.RetryAfter + 20*time.Millisecond)
		d = allow(t, rl, key, l)
		if !d.Allowed {
			t.Fatalf("after event 1 left the window: %+v, want allowed", d)
		}
		if time.Since(s2) >= l.Window {
			return false // event 2 may have left too
		}
		if d.Remaining != 0 {
			t.Errorf("after event 1 left the window: Remaining = %d, want 0 (event 2 still counts)", d.Remaining)
		}
		d = allow(t, rl, key, l)
		if time.Since(s2) >= l.Window {
			return false
		}
		if d.Allowed {
			t.Errorf("allowed while events 2 and 4 are both in the window: %+v", d)
		}
		return true
	})
}

func testDeniedNotCounted(t *testing.T, rl ports.RateLimiter) {
	const gap = 200 * time.Millisecond
	l := ports.Limit{N: 1, Window: 600 * time.Millisecond}
	retry(t, "hammer", func(key string) bool {
		s1 := time.Now()
		if d := allow(t, rl, key, l); !d.Allowed {
			t.Fatalf("event 1 of a fresh key denied: %+v", d)
		}
		time.Sleep(gap)
		first := allow(t, rl, key, l)
		firstAt := time.Now()
		if time.Since(s1) >= l.Window {
			return false
		}
		if first.Allowed {
			t.Fatalf("attempt 1 allowed while event 1 is in the window")
		}
		if first.RetryAfter > l.Window-gap {
			t.Fatalf("attempt 1: RetryAfter = %s, want <= %s (event 1 is at least %s old)", first.RetryAfter, l.Window-gap, gap)
		}
		for i := range 10 {
			d := allow(t, rl, key, l)
			if time.Since(s1) >= l.Window {
				return false
			}
			if d.Allowed {
				t.Fatalf("attempt %d allowed while event 1 is in the window", i+2)
			}
			// Event 1 alone blocks the key, so the wait only shrinks.
			if d.RetryAfter > first.RetryAfter || d.ResetAfter > first.ResetAfter {
				t.Fatalf("attempt %d: RetryAfter %s / ResetAfter %s grew past attempt 1's %s / %s (denied attempts counted?)",
					i+2, d.RetryAfter, d.ResetAfter, first.RetryAfter, first.ResetAfter)
			}
		}
		// Event 1 leaves by firstAt + first.RetryAfter; had the denials
		// counted, the key would stay blocked at least gap longer.
		time.Sleep(time.Until(firstAt.Add(first.RetryAfter + 20*time.Millisecond)))
		if d := allow(t, rl, key, l); !d.Allowed {
			t.Fatalf("still denied after event 1 left the window (denied attempts counted?): %+v", d)
		}
		return true
	})
}

func testReset(t *testing.T, rl ports.RateLimiter) {
	ctx := context.Background()
	l := ports.Limit{N: 2, Window: time.Minute}
	allow(t, rl, "reset", l)
	allow(t, rl, "reset", l)
	allow(t, rl, "other", l)
	allow(t, rl, "other", l)
	if d := allow(t, rl, "reset", l); d.Allowed {
		t.Fatalf("allowed beyond N before Reset")
	}
	if err := rl.Reset(ctx, "reset"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if d := allow(t, rl, "reset", l); !d.Allowed || d.Remaining != 1 {
		t.Errorf("after Reset: %+v, want allowed with Remaining 1", d)
	}
	if d := allow(t, rl, "other", l); d.Allowed {
		t.Errorf("Reset of one key freed another")
	}
	if err := rl.Reset(ctx, "never-seen"); err != nil {
		t.Errorf("Reset of an unknown key: %v", err)
	}
}

func testConcurrent(t *testing.T, rl ports.RateLimiter) {
	const workers, each = 50, 10
	l := ports.Limit{N: 100, Window: time.Minute}
	var (
		mu        sync.Mutex
		remaining = map[int]int{}
		allowed   int
		errs      []error
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				d, err := rl.Allow(context.Background(), "hot", l)
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, fmt.Errorf("worker %d call %d: %w", w, i, err))
				case d.Allowed:
					allowed++
					remaining[d.Remaining]++
				case d.RetryAfter <= 0 || d.RetryAfter > l.Window:
					errs = append(errs, fmt.Errorf("denied with RetryAfter %s", d.RetryAfter))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if allowed != l.N {
		t.Fatalf("%d of %d concurrent events allowed, want exactly %d", allowed, workers*each, l.N)
	}
	// Atomic check-and-record: every allowed event saw a distinct Remaining.
	for r := range l.N {
		if remaining[r] != 1 {
			t.Errorf("Remaining %d seen %d times, want once", r, remaining[r])
		}
	}
}

func testContextDone(t *testing.T, rl ports.RateLimiter) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := ports.Limit{N: 1, Window: time.Minute}
	d, err := rl.Allow(ctx, "ctx", l)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Allow with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	if d.Allowed {
		t.Errorf("Allow with a cancelled ctx allowed")
	}
	if err := rl.Reset(ctx, "ctx"); !errors.Is(err, context.Canceled) {
		t.Errorf("Reset with a cancelled ctx: err = %v, want context.Canceled", err)
	}
	// The cancelled call recorded nothing.
	if d := allow(t, rl, "ctx", l); !d.Allowed {
		t.Errorf("first Allow after a cancelled one denied")
	}
}

// Benchmark measures Allow from parallel goroutines on two workloads:
// many keys mostly allowed (agents, 120/min each) and one hot key mostly
// denied (a login brute force, 5 per 15 min).
func Benchmark(b *testing.B, rl ports.RateLimiter) {
	b.Run("many-keys", func(b *testing.B) {
		l := ports.Limit{N: 120, Window: time.Minute}
		keys := make([]string, 4096)
		for i := range keys {
			keys[i] = "agent:" + strconv.Itoa(i)
		}
		var next sync.Mutex
		seq := 0
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			next.Lock()
			i := seq * 7919
			seq++
			next.Unlock()
			for pb.Next() {
				i++
				if _, err := rl.Allow(context.Background(), keys[i%len(keys)], l); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("hot-key", func(b *testing.B) {
		l := ports.Limit{N: 5, Window: 15 * time.Minute}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := rl.Allow(context.Background(), "login:victim", l); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
