package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// fleetBenchSizes are the (devices, open alerts) the summary is measured at.
var fleetBenchSizes = [][2]int{{10_000, 1_000}}

// fleetBenchHistory is how many resolved alerts (two transitions each) lie
// beside the open ones, so the reads must skip a history, as in life.
const fleetBenchHistory = 2_000

// seedAlerts opens open alerts on every (n/open)-th device, severities
// cycling info, warning, critical, and history resolved ones on others.
func seedAlerts(tb testing.TB, f *benchFleet, open, history int) {
	tb.Helper()
	ctx := context.Background()
	partner := f.scope.PartnerIDs[0]
	openRule, pastRule := newRule(tb, f.st, partner, ""), newRule(tb, f.st, partner, "")
	sevs := []domain.Severity{domain.SeverityInfo, domain.SeverityWarning, domain.SeverityCritical}
	step := max(len(f.devices)/max(open, history), 1)
	for i := range max(open, history) {
		d := f.devices[(i*step)%len(f.devices)]
		if i < open {
			a := openAlert(openRule.ID, d.ID)
			a.Severity = sevs[i%len(sevs)]
			if _, _, err := f.st.Alerts().Open(ctx, a); err != nil {
				tb.Fatalf("open alert %d: %v", i, err)
			}
		}
		if i < history {
			a, _, err := f.st.Alerts().Open(ctx, openAlert(pastRule.ID, d.ID))
			if err != nil {
				tb.Fatalf("open past alert %d: %v", i, err)
			}
			if _, err := f.st.Alerts().Transition(ctx, global, a.ID, domain.Unresolved,
				domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem}); err != nil {
				tb.Fatalf("resolve past alert %d: %v", i, err)
			}
		}
	}
}

// RunFleetBenchmarks measures the fleet summary's four aggregate reads
// (one op: all four, as GET /fleet/summary runs them) over a seeded fleet,
// for a partner-wide caller and an org caller, and each read alone.
// settle, when set, runs after seeding: a database whose planner relies on
// statistics gathers them there, as its background jobs would in service.
func RunFleetBenchmarks(b *testing.B, newStore Factory, settle func(tb testing.TB, st ports.Store)) {
	for _, size := range fleetBenchSizes {
		n, open := size[0], size[1]
		b.Run(fmt.Sprintf("devices=%d/open=%d", n, open), func(b *testing.B) {
			st := newStore(b)
			start := time.Now()
			f, err := seedFleet(context.Background(), st, n)
			if err != nil {
				b.Fatalf("seed: %v", err)
			}
			seedAlerts(b, f, open, fleetBenchHistory)
			if settle != nil {
				settle(b, st)
			}
			b.Logf("seeded %d devices, %d open and %d resolved alerts in %s", n, open, fleetBenchHistory,
				time.Since(start).Round(time.Millisecond))
			partner := f.scope
			org := domain.Scope{OrgIDs: []string{f.orgs[0]}}
			checkSummary(b, st, partner, n, open)

			b.Run("summary/partner", func(b *testing.B) { benchSummary(b, st, partner) })
			b.Run("summary/org", func(b *testing.B) { benchSummary(b, st, org) })
			reads := []struct {
				name string
				fn   func(ctx context.Context) error
			}{
				{"DeviceCounts", func(ctx context.Context) error {
					_, err := st.Fleet().DeviceCounts(ctx, partner, ports.FleetFilter{})
					return err
				}},
				{"AlertCounts", func(ctx context.Context) error {
					_, err := st.Fleet().AlertCounts(ctx, partner, ports.FleetFilter{})
					return err
				}},
				{"NeedingAttention", func(ctx context.Context) error {
					_, err := st.Fleet().NeedingAttention(ctx, partner, partner, ports.FleetFilter{}, 10)
					return err
				}},
				{"RecentActivity", func(ctx context.Context) error {
					_, err := st.Fleet().RecentActivity(ctx, partner, partner, ports.FleetFilter{}, 20)
					return err
				}},
			}
			for _, r := range reads {
				b.Run("partner/"+r.name, func(b *testing.B) {
					ctx := context.Background()
					b.ReportAllocs()
					for b.Loop() {
						if err := r.fn(ctx); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// checkSummary makes sure the seeded figures are what the benchmark claims.
func checkSummary(b *testing.B, st ports.Store, s domain.Scope, n, open int) {
	b.Helper()
	ctx := context.Background()
	dc, err := st.Fleet().DeviceCounts(ctx, s, ports.FleetFilter{})
	if err != nil || dc.Total() != n {
		b.Fatalf("device counts %+v, %v; want %d devices", dc, err, n)
	}
	ac, err := st.Fleet().AlertCounts(ctx, s, ports.FleetFilter{})
	if err != nil || ac.Total() != open {
		b.Fatalf("alert counts %+v, %v; want %d open", ac, err, open)
	}
}

func benchSummary(b *testing.B, st ports.Store, s domain.Scope) {
	ctx := context.Background()
	f := ports.FleetFilter{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Fleet().DeviceCounts(ctx, s, f); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Fleet().AlertCounts(ctx, s, f); err != nil {
			b.Fatal(err)
		}
		att, err := st.Fleet().NeedingAttention(ctx, s, s, f, 10)
		if err != nil || len(att) == 0 {
			b.Fatalf("needing attention: %d rows, %v", len(att), err)
		}
		act, err := st.Fleet().RecentActivity(ctx, s, s, f, 20)
		if err != nil || len(act) == 0 {
			b.Fatalf("recent activity: %d rows, %v", len(act), err)
		}
	}
}
