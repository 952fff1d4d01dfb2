package schedules

import (
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// BenchmarkDue10k is the scheduler's computation for 10 000 active
// schedules, every one due (the worst tick): for each, plan its fire and
// its next fire time. Run: go test -bench Due10k ./core/app/schedules/
func BenchmarkDue10k(b *testing.B) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	exprs := []string{"* * * * *", "%d * * * *", "%d 2 * * 1-5", "*/5 * * * *", "%d 9 1 * *"}
	const n = 10_000
	tms := make([]*Timing, n)
	for i := range tms {
		expr := exprs[i%len(exprs)]
		if expr[0] == '%' {
			expr = fmt.Sprintf(expr, i%60)
		}
		tm, err := CompileCron(expr, zones[i%len(zones)])
		if err != nil {
			b.Fatal(err)
		}
		tms[i] = tm
	}
	now := time.Date(2026, 3, 29, 1, 0, 30, 0, time.UTC) // Berlin's spring-forward instant
	dues := make([]time.Time, n)
	for i, tm := range tms {
		dues[i], _ = tm.Next(now.Add(-time.Hour))
		if dues[i].After(now) {
			dues[i] = now
		}
	}
	sc := &domain.Schedule{ID: "bench", GraceMinutes: 5}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, tm := range tms {
			_, next := plan(tm, sc, dues[i], now)
			if next.IsZero() {
				b.Fatal("no next fire")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/schedule")
}
