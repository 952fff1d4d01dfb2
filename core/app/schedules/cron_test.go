package schedules

import (
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

func mustCron(t *testing.T, expr, zone string) *Timing {
	t.Helper()
	tm, err := CompileCron(expr, zone)
	if err != nil {
		t.Fatalf("compile %q: %v", expr, err)
	}
	return tm
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fires lists the fires in (from, to].
func fires(tm *Timing, from, to time.Time) []time.Time {
	var out []time.Time
	for {
		at, ok := tm.Next(from)
		if !ok || at.After(to) {
			return out
		}
		out = append(out, at)
		from = at
	}
}

func TestCronBasics(t *testing.T) {
	tm := mustCron(t, "30 2 * * 1-5", "UTC")
	got := tm.Upcoming(utc("2026-03-06T00:00:00Z"), 3) // a Friday
	want := []string{"2026-03-06T02:30:00Z", "2026-03-09T02:30:00Z", "2026-03-10T02:30:00Z"}
	for i, w := range want {
		if i >= len(got) || !got[i].Equal(utc(w)) {
			t.Fatalf("upcoming = %v, want %v", got, want)
		}
	}
	// Strictly after: a fire at exactly `after` is not returned again.
	if at, _ := tm.Next(utc("2026-03-06T02:30:00Z")); !at.Equal(utc("2026-03-09T02:30:00Z")) {
		t.Fatalf("next after a fire = %v", at)
	}
	every := mustCron(t, "*/15 * * * *", "UTC")
	if at, _ := every.Next(utc("2026-03-06T10:07:59Z")); !at.Equal(utc("2026-03-06T10:15:00Z")) {
		t.Fatalf("*/15 next = %v", at)
	}
	names := mustCron(t, "0 9 * jan,jul sun", "UTC")
	if at, _ := names.Next(utc("2026-01-01T00:00:00Z")); !at.Equal(utc("2026-01-04T09:00:00Z")) {
		t.Fatalf("names next = %v", at)
	}
	// Both day fields restricted: either matches (Vixie).
	or := mustCron(t, "0 0 13 * 5", "UTC")
	if at, _ := or.Next(utc("2026-03-01T00:00:00Z")); !at.Equal(utc("2026-03-06T00:00:00Z")) {
		t.Fatalf("dom|dow next = %v (want Friday 6th before the 13th)", at)
	}
	seven := mustCron(t, "0 0 * * 7", "UTC")
	if at, _ := seven.Next(utc("2026-03-02T00:00:00Z")); at.Weekday() != time.Sunday {
		t.Fatalf("7 is Sunday: %v", at)
	}
}

func TestCronInvalid(t *testing.T) {
	for _, expr := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
		"* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *", "1,,2 * * * *", "-1 * * * *", "@hourly x y z w"} {
		if _, err := CompileCron(expr, "UTC"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", expr, err)
		}
	}
	for _, zone := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "Europe/Berlin\x00"} {
		if _, err := CompileCron("* * * * *", zone); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("zone %q: err = %v, want ErrInvalid", zone, err)
		}
	}
}

func TestCronNeverFires(t *testing.T) {
	for _, expr := range []string{"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 feb *"} {
		if _, err := CompileCron(expr, "UTC"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%q compiles (err %v); February 30 never comes", expr, err)
		}
	}
	// A 30 February in a list with a real day: only the real day fires.
	tm := mustCron(t, "0 0 30 1,2 *", "UTC")
	for _, at := range fires(tm, utc("2026-01-01T00:00:00Z"), utc("2030-01-01T00:00:00Z")) {
		if at.Month() == time.February {
			t.Fatalf("fired in February: %v", at)
		}
	}
}

func TestCronLeapDay(t *testing.T) {
	tm := mustCron(t, "0 12 29 2 *", "Europe/Berlin")
	got := tm.Upcoming(utc("2026-01-01T00:00:00Z"), 3)
	want := []string{"2028-02-29T11:00:00Z", "2032-02-29T11:00:00Z", "2036-02-29T11:00:00Z"}
	for i, w := range want {
		if i >= len(got) || !got[i].Equal(utc(w)) {
			t.Fatalf("leap days = %v, want %v", got, want)
		}
	}
	// 2100 is no leap year: from 2097 the next is 2104.
	if at, ok := tm.Next(utc("2097-01-01T00:00:00Z")); !ok || at.Year() != 2104 {
		t.Fatalf("after 2097: %v %v, want 2104", at, ok)
	}
}

func TestCronDSTSpringForward(t *testing.T) {
	// Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
	tm := mustCron(t, "30 2 * * *", "Europe/Berlin")
	got := fires(tm, utc("2026-03-27T12:00:00Z"), utc("2026-03-30T12:00:00Z"))
	want := []string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}
	if len(got) != len(want) {
		t.Fatalf("fires = %v, want %v", got, want)
	}
	for i, w := range want {
		if !got[i].Equal(utc(w)) {
			t.Fatalf("fires = %v, want %v (the skipped 02:30 fires once at the 03:00 transition)", got, want)
		}
	}
	// Several skipped wall times of one job make one fire at the transition,
	// and a 03:00 job the same instant: still one.
	many := mustCron(t, "0,15,30,45 2,3 * * *", "Europe/Berlin")
	day := fires(many, utc("2026-03-28T23:00:00Z"), utc("2026-03-29T02:00:00Z"))
	if len(day) != 4 || !day[0].Equal(utc("2026-03-29T01:00:00Z")) || !day[1].Equal(utc("2026-03-29T01:15:00Z")) {
		t.Fatalf("skipped hour fires = %v, want 03:00 (once), 03:15, 03:30, 03:45", day)
	}
	// America/New_York, 2026-03-08: 02:00 EST → 03:00 EDT (07:00 UTC).
	ny := mustCron(t, "30 2 8 3 *", "America/New_York")
	if at, _ := ny.Next(utc("2026-03-01T00:00:00Z")); !at.Equal(utc("2026-03-08T07:00:00Z")) {
		t.Fatalf("New York skipped 02:30 = %v", at)
	}
}

func TestCronDSTFallBack(t *testing.T) {
	// Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30
	// happens at 00:30 UTC and again at 01:30 UTC: the first only.
	tm := mustCron(t, "30 2 * * *", "Europe/Berlin")
	got := fires(tm, utc("2026-10-24T12:00:00Z"), utc("2026-10-26T12:00:00Z"))
	want := []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}
	if len(got) != len(want) || !got[0].Equal(utc(want[0])) || !got[1].Equal(utc(want[1])) {
		t.Fatalf("fires = %v, want %v", got, want)
	}
	// Asked from inside the repeated hour (after the first 02:30), the
	// second 02:30 does not fire.
	if at, _ := tm.Next(utc("2026-10-25T01:10:00Z")); !at.Equal(utc("2026-10-26T01:30:00Z")) {
		t.Fatalf("from the repeated hour: %v", at)
	}
	// Every 30 minutes across the change: no wall time twice.
	every := mustCron(t, "*/30 * * * *", "Europe/Berlin")
	seen := map[string]bool{}
	for _, at := range fires(every, utc("2026-10-24T22:00:00Z"), utc("2026-10-25T04:00:00Z")) {
		w := at.In(every.Location()).Format("15:04")
		if seen[w] {
			t.Fatalf("wall time %s fired twice", w)
		}
		seen[w] = true
	}
}

func TestOnce(t *testing.T) {
	at := utc("2026-05-01T10:00:00Z")
	tm, err := CompileOnce(at, "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := tm.Next(at.Add(-time.Minute)); !ok || !got.Equal(at) {
		t.Fatalf("once = %v %v", got, ok)
	}
	if _, ok := tm.Next(at); ok {
		t.Fatal("a one-off fires once")
	}
}

// The fixed-offset fast path agrees with the explicit rules everywhere.
func TestCronFastPathAgrees(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"}
	exprs := []string{"* * * * *", "30 2 * * *", "0,15,30,45 1-3 * * *", "*/7 */2 * * 1-5", "59 23 L * *", "0 0 29 2 *", "5 4 1,15 * sun"}
	for _, zone := range zones {
		for _, expr := range exprs {
			fast, err := CompileCron(expr, zone)
			if err != nil {
				continue // "L" is refused: the list stays honest
			}
			slow := *fast
			slow.slow = true
			for after := utc("2026-01-01T00:00:17Z"); after.Before(utc("2027-01-01T00:00:00Z")); after = after.Add(61*time.Hour + 13*time.Minute) {
				a, b := fast.Upcoming(after, 12), slow.Upcoming(after, 12)
				if len(a) != len(b) {
					t.Fatalf("%s %q after %v: %d vs %d fires", zone, expr, after, len(a), len(b))
				}
				for i := range a {
					if !a[i].Equal(b[i]) {
						t.Fatalf("%s %q after %v: fire %d fast %v slow %v", zone, expr, after, i, a[i], b[i])
					}
				}
			}
		}
	}
}
