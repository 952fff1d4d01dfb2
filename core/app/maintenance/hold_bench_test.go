package maintenance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// BenchmarkHeldUntil: the notification hold check against 200 weekly
// windows of the alert's partner (none covering it now), from memory.
func BenchmarkHeldUntil(b *testing.B) {
	ts := apitest.NewServer(b)
	ctx := context.Background()
	a := ts.Seed.A
	for i := range 200 {
		w := &domain.MaintenanceWindow{OrgID: a.Orgs[i%2].ID, Name: fmt.Sprintf("w%d", i), Enabled: true,
			ScopeKind: domain.AlertScopeSite, ScopeIDs: []string{a.Sites[i%2].ID}, TimeZone: "Europe/Berlin",
			Kind: domain.MaintenanceWeekly, Days: []time.Weekday{time.Weekday(i % 7)}, At: "03:00", DurationMinutes: 1}
		if err := ts.Store.MaintenanceWindows().Create(ctx, domain.GlobalScope(), w); err != nil {
			b.Fatal(err)
		}
	}
	svc := newService(b, ts.Store, ts.Clock, nil, 0)
	if err := svc.Reload(ctx); err != nil {
		b.Fatal(err)
	}
	al := &domain.Alert{ID: domain.NewID(), PartnerID: a.Partner.ID, OrgID: a.Orgs[0].ID, SiteID: a.Sites[0].ID, DeviceID: domain.NewID()}
	at := time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if until, _, err := svc.HeldUntil(ctx, al, at); err != nil || !until.IsZero() {
			b.Fatal(until, err)
		}
	}
}
