package schedules

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

func TestPlanMissedFires(t *testing.T) {
	tm := mustCron(t, "*/5 * * * *", "UTC")
	due := utc("2026-06-01T10:00:00Z")
	for _, c := range []struct {
		name    string
		grace   int
		now     time.Time
		fireAt  string
		missed  bool
		skipped int
		stale   bool
		next    string
	}{
		{"on time", 0, due.Add(400 * time.Millisecond), "2026-06-01T10:00:00Z", false, 0, false, "2026-06-01T10:05:00Z"},
		{"a slow tick", 0, due.Add(50 * time.Second), "2026-06-01T10:00:00Z", false, 0, false, "2026-06-01T10:05:00Z"},
		{"one missed, within grace", 10, due.Add(4 * time.Minute), "2026-06-01T10:00:00Z", true, 0, false, "2026-06-01T10:05:00Z"},
		{"one missed, outside grace", 0, due.Add(4 * time.Minute), "2026-06-01T10:00:00Z", true, 0, true, "2026-06-01T10:05:00Z"},
		{"down 2 hours, latest within grace", 5, due.Add(2*time.Hour + 3*time.Minute), "2026-06-01T12:00:00Z", true, 24, false, "2026-06-01T12:05:00Z"},
		{"down 2 hours, latest outside grace", 1, due.Add(2*time.Hour + 3*time.Minute), "2026-06-01T12:00:00Z", true, 24, true, "2026-06-01T12:05:00Z"},
	} {
		sc := &domain.Schedule{ID: "s", GraceMinutes: c.grace}
		task, next := plan(tm, sc, due, c.now)
		if !task.FireAt.Equal(utc(c.fireAt)) || task.Missed != c.missed || task.Skipped != c.skipped || task.Stale != c.stale ||
			!next.Equal(utc(c.next)) {
			t.Errorf("%s: %+v next %v", c.name, task, next)
		}
	}
	// A one-off: after its fire, no next.
	once, _ := CompileOnce(due, "UTC")
	if _, next := plan(once, &domain.Schedule{ID: "o"}, due, due.Add(time.Second)); !next.IsZero() {
		t.Fatalf("one-off next = %v", next)
	}
	if k1, k2 := UniqueKey("a", due), UniqueKey("a", due.Add(time.Minute)); k1 == k2 || k1 != UniqueKey("a", due.In(time.FixedZone("x", 3600))) {
		t.Fatalf("unique keys %q %q", k1, k2)
	}
}
