package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// benchSizes are the device counts the benchmarks run at.
var benchSizes = []int{10_000, 100_000}

// seedBatch is how many devices one seeding transaction writes.
const seedBatch = 1000

// benchFleet is one seeded store: a partner with benchOrgs orgs of
// benchSitesPerOrg sites, one group per site, and n devices spread over them.
type benchFleet struct {
	st      ports.Store
	scope   domain.Scope
	orgs    []string
	sites   []string
	groups  []string
	devices []domain.Device // as seeded, in id order
	err     error
}

const (
	benchOrgs        = 4
	benchSitesPerOrg = 10
)

var benchWords = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"}

var benchStatuses = []domain.DeviceStatus{domain.DeviceOnline, domain.DeviceOffline, domain.DevicePending, domain.DeviceDecommissioned}

// benchDevice is device i of the fleet: statuses, OSes, names and groups
// vary independently of the site, so every filter selects a real fraction.
func (f *benchFleet) benchDevice(i int) domain.Device {
	site := i % len(f.sites)
	d := domain.Device{
		ID:           domain.NewID(),
		SiteID:       f.sites[site],
		Hostname:     fmt.Sprintf("%s-%07d", benchWords[(i/11)%len(benchWords)], i),
		OS:           []string{"linux", "windows", "darwin"}[(i/3)%3],
		Arch:         "amd64",
		Status:       benchStatuses[(i/7)%len(benchStatuses)],
		LastSeenAt:   time.Now().UTC(),
		AgentVersion: "1.0.0",
	}
	if (i/len(f.sites))%2 == 0 { // half of each site's devices are in its group
		d.GroupID = f.groups[site]
	}
	return d
}

func seedFleet(ctx context.Context, st ports.Store, n int) (*benchFleet, error) {
	f := &benchFleet{st: st}
	p := &domain.Partner{Name: uniq("bench")}
	if err := st.Partners().Create(ctx, global, p); err != nil {
		return nil, err
	}
	f.scope = domain.Scope{PartnerIDs: []string{p.ID}}
	for range benchOrgs {
		o := &domain.Organization{PartnerID: p.ID, Name: uniq("bench-org")}
		if err := st.Orgs().Create(ctx, global, o); err != nil {
			return nil, err
		}
		f.orgs = append(f.orgs, o.ID)
		for range benchSitesPerOrg {
			s := &domain.Site{OrgID: o.ID, Name: uniq("bench-site")}
			if err := st.Sites().Create(ctx, global, s); err != nil {
				return nil, err
			}
			g := &domain.DeviceGroup{OrgID: o.ID, SiteID: s.ID, Name: uniq("bench-group")}
			if err := st.DeviceGroups().Create(ctx, global, g); err != nil {
				return nil, err
			}
			f.sites, f.groups = append(f.sites, s.ID), append(f.groups, g.ID)
		}
	}
	f.devices = make([]domain.Device, 0, n)
	for start := 0; start < n; start += seedBatch {
		end := min(start+seedBatch, n)
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			for i := start; i < end; i++ {
				d := f.benchDevice(i)
				res, err := tx.Devices().Upsert(ctx, global, &d)
				if err != nil {
					return fmt.Errorf("device %d: %w", i, err)
				}
				f.devices = append(f.devices, *res)
			}
			return nil
		})
		if err != nil {
			f.devices = f.devices[:start]
			return nil, err
		}
	}
	return f, nil
}

// RunBenchmarks measures device upsert and device listing at 10 000 and
// 100 000 devices. Each size is seeded once, on first use, outside the timer.
func RunBenchmarks(b *testing.B, newStore Factory) {
	// The stores belong to the top-level benchmark so they outlive every
	// sub-benchmark run; seeding waits until a sub-benchmark needs one.
	stores := map[int]ports.Store{}
	for _, n := range benchSizes {
		stores[n] = newStore(b)
	}
	var mu sync.Mutex
	fleets := map[int]*benchFleet{}
	fleet := func(b *testing.B, n int) *benchFleet {
		b.Helper()
		mu.Lock()
		defer mu.Unlock()
		f, ok := fleets[n]
		if !ok {
			start := time.Now()
			var err error
			f, err = seedFleet(context.Background(), stores[n], n)
			if err != nil {
				f = &benchFleet{err: err}
			} else {
				el := time.Since(start)
				b.Logf("seeded %d devices in %s (%.0f rows/s)", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
			}
			fleets[n] = f
		}
		if f.err != nil {
			b.Fatalf("seed %d devices: %v", n, f.err)
		}
		return f
	}

	b.Run("DeviceUpsert", func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchUpsert(b, fleet(b, n)) })
		}
	})

	lists := []struct {
		name string
		req  func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest)
	}{
		{"org_status", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{OrgID: f.orgs[1], Status: domain.DeviceOnline}, domain.PageRequest{}
		}},
		{"site", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{SiteID: f.sites[7]}, domain.PageRequest{}
		}},
		{"group", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{GroupID: f.groups[3]}, domain.PageRequest{}
		}},
		{"query", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{Query: "BRAVO"}, domain.PageRequest{}
		}},
		{"none_first_page", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{}, domain.PageRequest{}
		}},
		{"none_deep_cursor", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{}, domain.PageRequest{Cursor: domain.EncodeCursor(f.devices[len(f.devices)*9/10].ID)}
		}},
		{"org_status_deep_cursor", func(f *benchFleet) (ports.DeviceFilter, domain.PageRequest) {
			return ports.DeviceFilter{OrgID: f.orgs[1], Status: domain.DeviceOnline},
				domain.PageRequest{Cursor: domain.EncodeCursor(f.devices[len(f.devices)*9/10].ID)}
		}},
	}
	b.Run("DeviceList", func(b *testing.B) {
		for _, l := range lists {
			b.Run("filter="+l.name, func(b *testing.B) {
				for _, n := range benchSizes {
					b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
						f := fleet(b, n)
						filter, req := l.req(f)
						benchList(b, f, filter, req)
					})
				}
			})
		}
	})
}

// benchUpsert overwrites existing devices, as agent reports do.
func benchUpsert(b *testing.B, f *benchFleet) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := f.devices[(i*7919)%len(f.devices)] // stride over the table, not one hot row
		d.LastSeenAt = time.Now().UTC()
		if _, err := f.st.Devices().Upsert(ctx, f.scope, &d); err != nil {
			b.Fatalf("Upsert: %v", err)
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "rows/s")
	}
}

// benchList reads one default-size page per op.
func benchList(b *testing.B, f *benchFleet, filter ports.DeviceFilter, req domain.PageRequest) {
	ctx := context.Background()
	p, err := f.st.Devices().List(ctx, f.scope, filter, req)
	if err != nil {
		b.Fatalf("List: %v", err)
	}
	if len(p.Items) == 0 {
		b.Fatalf("List %+v returned no devices; the benchmark would measure nothing", filter)
	}
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		p, err := f.st.Devices().List(ctx, f.scope, filter, req)
		if err != nil {
			b.Fatalf("List: %v", err)
		}
		rows += len(p.Items)
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}
