package memory

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/ports/ratelimittest"
)

func TestRateLimiterConformance(t *testing.T) {
	ratelimittest.Run(t, func(t testing.TB) ports.RateLimiter {
		l := NewRateLimiter(RateLimiterOptions{})
		t.Cleanup(func() { _ = l.Close() })
		return l
	})
}

func BenchmarkAllow(b *testing.B) {
	l := NewRateLimiter(RateLimiterOptions{})
	b.Cleanup(func() { _ = l.Close() })
	ratelimittest.Benchmark(b, l)
}

// rlFakeClock is a clock the test moves by hand.
type rlFakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newRLFakeClock() *rlFakeClock {
	return &rlFakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *rlFakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rlFakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestLimiter(t *testing.T, opts RateLimiterOptions) *RateLimiter {
	t.Helper()
	l := NewRateLimiter(opts)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func mustAllow(t *testing.T, l *RateLimiter, key string, lim ports.Limit) ports.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return d
}

// TestRateLimiterExactSlidingLog pins the semantics to the nanosecond with
// a fake clock: an event at t counts while now < t+Window.
func TestRateLimiterExactSlidingLog(t *testing.T) {
	clock := newRLFakeClock()
	l := newTestLimiter(t, RateLimiterOptions{Clock: clock})
	lim := ports.Limit{N: 2, Window: 10 * time.Second}

	steps := []struct {
		advance time.Duration
		want    ports.Decision
	}{
		{0, ports.Decision{Allowed: true, Remaining: 1, ResetAfter: 10 * time.Second}},                                              // t=0
		{4 * time.Second, ports.Decision{Allowed: true, Remaining: 0, ResetAfter: 10 * time.Second}},                                // t=4
		{time.Second, ports.Decision{RetryAfter: 5 * time.Second, ResetAfter: 9 * time.Second}},                                     // t=5
		{5*time.Second - time.Nanosecond, ports.Decision{RetryAfter: time.Nanosecond, ResetAfter: 4*time.Second + time.Nanosecond}}, // t=10-1ns
		{time.Nanosecond, ports.Decision{Allowed: true, Remaining: 0, ResetAfter: 10 * time.Second}},                                // t=10: event 0 has left
		{time.Second, ports.Decision{RetryAfter: 3 * time.Second, ResetAfter: 9 * time.Second}},                                     // t=11
		{3 * time.Second, ports.Decision{Allowed: true, Remaining: 0, ResetAfter: 10 * time.Second}},                                // t=14
		{20 * time.Second, ports.Decision{Allowed: true, Remaining: 1, ResetAfter: 10 * time.Second}},                               // t=34: all gone
	}
	for i, s := range steps {
		clock.Add(s.advance)
		if got := mustAllow(t, l, "k", lim); got != s.want {
			t.Errorf("step %d: got %+v, want %+v", i, got, s.want)
		}
	}
}

func TestRateLimiterClockStepsBack(t *testing.T) {
	clock := newRLFakeClock()
	l := newTestLimiter(t, RateLimiterOptions{Clock: clock})
	lim := ports.Limit{N: 2, Window: 10 * time.Second}
	clock.Add(time.Hour)
	mustAllow(t, l, "k", lim)
	clock.Add(-30 * time.Minute)
	if d := mustAllow(t, l, "k", lim); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after the clock stepped back: %+v, want allowed with Remaining 0", d)
	}
	if d := mustAllow(t, l, "k", lim); d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > lim.Window {
		t.Fatalf("third event: %+v, want denied with RetryAfter in (0, Window]", d)
	}
}

// TestRateLimiterJanitorEvictsIdleKeys runs the real janitor goroutine.
func TestRateLimiterJanitorEvictsIdleKeys(t *testing.T) {
	clock := newRLFakeClock()
	l := newTestLimiter(t, RateLimiterOptions{Clock: clock, JanitorInterval: 5 * time.Millisecond})
	short := ports.Limit{N: 3, Window: time.Minute}
	for i := range 500 {
		mustAllow(t, l, "idle:"+strconv.Itoa(i), short)
	}
	mustAllow(t, l, "busy", ports.Limit{N: 3, Window: time.Hour})
	if n := l.Len(); n != 501 {
		t.Fatalf("Len = %d, want 501", n)
	}
	clock.Add(time.Minute) // the short keys' events leave their window
	waitFor(t, func() bool { return l.Len() == 1 })
	// The busy key kept its event.
	if d := mustAllow(t, l, "busy", ports.Limit{N: 3, Window: time.Hour}); d.Remaining != 1 {
		t.Errorf("busy key after the sweep: %+v, want Remaining 1", d)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRateLimiterBoundedUnderKeyFlood: an attacker sending every request with
// a new key (spoofed usernames, many IPs) must not grow memory past MaxKeys,
// even when no key is idle yet, and the limiter must keep limiting.
func TestRateLimiterBoundedUnderKeyFlood(t *testing.T) {
	const maxKeys = 1000
	clock := newRLFakeClock()
	l := newTestLimiter(t, RateLimiterOptions{Clock: clock, MaxKeys: maxKeys, JanitorInterval: time.Hour})
	lim := ports.Limit{N: 5, Window: 15 * time.Minute}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25_000 {
				d, err := l.Allow(context.Background(), "flood:"+strconv.Itoa(w)+":"+strconv.Itoa(i), lim)
				if err != nil || !d.Allowed {
					t.Errorf("fresh key: %+v, %v", d, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n > maxKeys || n < maxKeys/2 {
		t.Fatalf("Len = %d after 100000 distinct keys, want <= %d (and the cap mostly used)", n, maxKeys)
	}
	// Still limiting a key in use during the flood.
	for range lim.N {
		mustAllow(t, l, "victim", lim)
	}
	if d := mustAllow(t, l, "victim", lim); d.Allowed {
		t.Errorf("victim allowed beyond N right after the flood")
	}
	// Idle keys are preferred to live ones: once the flood is idle, new keys
	// displace it and the live victim survives.
	clock.Add(15 * time.Minute)
	for range lim.N {
		mustAllow(t, l, "victim2", lim)
	}
	for i := range maxKeys / 2 {
		mustAllow(t, l, "later:"+strconv.Itoa(i), lim)
	}
	if d := mustAllow(t, l, "victim2", lim); d.Allowed {
		t.Errorf("live key displaced while idle keys were available")
	}
	if n := l.Len(); n > maxKeys {
		t.Fatalf("Len = %d, want <= %d", n, maxKeys)
	}
}

func TestRateLimiterTinyMaxKeys(t *testing.T) {
	l := newTestLimiter(t, RateLimiterOptions{MaxKeys: 3})
	lim := ports.Limit{N: 1, Window: time.Minute}
	for i := range 50 {
		mustAllow(t, l, strconv.Itoa(i), lim)
		if n := l.Len(); n > 3 {
			t.Fatalf("Len = %d, want <= 3", n)
		}
	}
}

func TestRateLimiterCloseStopsJanitor(t *testing.T) {
	l := NewRateLimiter(RateLimiterOptions{JanitorInterval: time.Millisecond})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-l.done:
	default:
		t.Fatal("janitor still running after Close")
	}
	// Still answers after Close.
	if d := mustAllow(t, l, "k", ports.Limit{N: 1, Window: time.Second}); !d.Allowed {
		t.Fatalf("Allow after Close: %+v", d)
	}
}
