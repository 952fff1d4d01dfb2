package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// BenchmarkScheduleTick10k: one scheduler tick on the embedded profile
// (SQLite store and queue) and on PostgreSQL + asynq when 10 000 every-minute schedules are due at
// once: read them, enqueue one fire task each, advance each. The fires run
// meanwhile (an empty group: each records a skipped fire).
//
//	go test -run '^$' -bench ScheduleTick10k -benchtime 3x ./adapters/http/api/
func BenchmarkScheduleTick10k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchScheduleTick(b, false) })
	b.Run("postgres", func(b *testing.B) { benchScheduleTick(b, true) })
}

func benchScheduleTick(b *testing.B, pg bool) {
	ts := apitest.NewServerWith(b, apitest.Options{Postgres: pg})
	ctx := context.Background()
	org := ts.Seed.A.Orgs[0]
	g := &domain.DeviceGroup{OrgID: org.ID, Name: "empty"}
	if err := ts.Store.DeviceGroups().Create(ctx, domain.GlobalScope(), g); err != nil {
		b.Fatal(err)
	}
	next := ts.Clock.Now().Truncate(time.Minute).Add(time.Minute)
	const n = 10_000
	for i := range n {
		sc := &domain.Schedule{OrgID: org.ID, Name: fmt.Sprintf("s%05d", i), Enabled: true, TimeZone: "Europe/Berlin",
			Cron: "* * * * *", TargetKind: domain.TargetGroup, TargetIDs: []string{g.ID}, TaskKind: domain.ScheduleTaskAction,
			Action: "uptime", Offline: domain.OfflineSkip, CreatedBy: ts.Seed.A.Admin.ID, NextFireAt: &next}
		if err := ts.Store.Schedules().Create(ctx, domain.GlobalScope(), sc); err != nil {
			b.Fatal(err)
		}
	}
	sv := ts.Remote.Schedules
	ts.Clock.Advance(next.Sub(ts.Clock.Now()))
	b.ResetTimer()
	for b.Loop() {
		queued, err := sv.Tick(ctx)
		if err != nil || queued != n {
			b.Fatalf("queued %d of %d: %v", queued, n, err)
		}
		ts.Clock.Advance(time.Minute)
	}
}
