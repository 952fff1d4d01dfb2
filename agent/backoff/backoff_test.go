package backoff

import (
	"net/http"
	"testing"
	"time"
)

func TestCeilingDoublesToCap(t *testing.T) {
	p := Policy{Base: time.Second, Cap: 5 * time.Minute}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for i, w := range want {
		if got := p.Ceiling(i); got != w*time.Second {
			t.Errorf("ceiling(%d) = %v, want %v", i, got, w*time.Second)
		}
	}
	if got := p.Ceiling(1000); got != 5*time.Minute { // no overflow
		t.Errorf("ceiling(1000) = %v", got)
	}
}

func TestDelayIsFullJitter(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Cap: time.Second}
	var below, above int
	for i := 0; i < 2000; i++ {
		d := p.Delay(3) // ceiling 800ms
		if d < 0 || d > 800*time.Millisecond {
			t.Fatalf("delay %v out of [0,800ms]", d)
		}
		if d < 400*time.Millisecond {
			below++
		} else {
			above++
		}
	}
	// Uniform: both halves are well populated (not a fixed delay, not "equal jitter").
	if below < 700 || above < 700 {
		t.Errorf("not uniform: %d below half, %d above", below, above)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	cases := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"999999999999", time.Hour, true}, // capped
		{"-3", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	if got, ok := RetryAfter(h("120"), now, 0); got != 2*time.Minute || !ok {
		t.Errorf("no limit: %v %v", got, ok)
	}
	for _, c := range cases {
		got, ok := RetryAfter(h(c.v), now, time.Hour)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: got %v %v, want %v %v", c.v, got, ok, c.want, c.ok)
		}
	}
}
