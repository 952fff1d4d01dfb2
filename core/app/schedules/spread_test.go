package schedules

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// A spread delays every cron fire by the schedule's own offset, the same on
// every compile, and many schedules land on many different seconds.
func TestSpreadOffsetsFires(t *testing.T) {
	seen := map[time.Duration]int{}
	for i := 0; i < 1000; i++ {
		id := domain.NewID()
		off := SpreadOffset(id, 60)
		if off < 0 || off >= time.Minute || off%time.Second != 0 {
			t.Fatalf("offset %v outside [0, 60s) whole seconds", off)
		}
		if again := SpreadOffset(id, 60); again != off {
			t.Fatalf("offset not stable: %v then %v", off, again)
		}
		seen[off]++
	}
	if len(seen) < 50 {
		t.Fatalf("1000 schedules fell on only %d of 60 seconds", len(seen))
	}
	if SpreadOffset(domain.NewID(), 0) != 0 || SpreadOffset(domain.NewID(), 1) != 0 {
		t.Fatal("no spread must mean no offset")
	}

	sc := &domain.Schedule{ID: domain.NewID(), Cron: "*/5 * * * *", TimeZone: "Europe/Berlin", SpreadSeconds: 120}
	off := SpreadOffset(sc.ID, 120)
	tm, err := Compile(sc)
	if err != nil {
		t.Fatal(err)
	}
	got := fires(tm, utc("2026-03-06T10:00:00Z"), utc("2026-03-06T10:30:00Z"))
	if len(got) != 6 {
		t.Fatalf("fires = %v", got)
	}
	for i, at := range got {
		want := utc("2026-03-06T10:00:00Z").Add(time.Duration(i)*5*time.Minute + off)
		if off == 0 {
			want = want.Add(5 * time.Minute)
		}
		if !at.Equal(want) {
			t.Fatalf("fire %d = %v, want %v (offset %v)", i, at, want, off)
		}
	}
	// Strictly after, with the offset: the fire at exactly `after` is not
	// returned again, and one a second before it is.
	first := got[0]
	if at, _ := tm.Next(first); !at.Equal(got[1]) {
		t.Fatalf("next after a spread fire = %v, want %v", at, got[1])
	}
	if at, _ := tm.Next(first.Add(-time.Second)); !at.Equal(first) {
		t.Fatalf("next a second before a spread fire = %v, want %v", at, first)
	}
	// A one-off runs at the time it names, spread or not.
	at := utc("2026-03-06T11:00:00Z")
	once, err := Compile(&domain.Schedule{ID: sc.ID, RunAt: &at, TimeZone: "UTC", SpreadSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := once.Next(utc("2026-03-06T10:00:00Z")); !ok || !next.Equal(at) {
		t.Fatalf("one-off with a spread = %v %v", next, ok)
	}
}

func TestTicksAlignToWholeSeconds(t *testing.T) {
	base := utc("2026-03-06T10:00:00Z")
	for _, c := range []struct{ now, want time.Duration }{
		{0, tickSlack},
		{tickSlack, time.Second},
		{400 * time.Millisecond, 600*time.Millisecond + tickSlack},
		{999 * time.Millisecond, time.Millisecond + tickSlack},
	} {
		got := untilNextTick(base.Add(c.now), time.Second)
		if got != c.want {
			t.Errorf("at +%v: wait %v, want %v", c.now, got, c.want)
		}
		if at := base.Add(c.now + got); at.Sub(at.Truncate(time.Second)) != tickSlack {
			t.Errorf("at +%v: tick lands at %v, not %v after a whole second", c.now, at, tickSlack)
		}
	}
}
