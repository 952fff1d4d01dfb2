package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// BenchmarkCPU measures the CPU one operation costs the client (this
// process) and its PostgreSQL backend (one connection, read from /proc), so
// that a change's cost can be compared on a machine too busy for wall-clock
// figures: device lists per scope kind and heartbeat ingest, on 10 000
// devices. Row-level security was measured with it (docs/security.md):
//
//	go test -run '^$' -bench BenchmarkCPU -benchtime 3000x -count 6 ./adapters/postgres/
func BenchmarkCPU(b *testing.B) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, postgres.Options{URL: pgtest.NewDatabase(b), MaxConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "cpu"}
	if err := st.Partners().Create(ctx, g, p); err != nil {
		b.Fatal(err)
	}
	var orgs, sites, devices []string
	for i := range 4 {
		o := &domain.Organization{PartnerID: p.ID, Name: fmt.Sprint("o", i)}
		if err := st.Orgs().Create(ctx, g, o); err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o.ID)
		for j := range 10 {
			s := &domain.Site{OrgID: o.ID, Name: fmt.Sprint("s", i, j)}
			if err := st.Sites().Create(ctx, g, s); err != nil {
				b.Fatal(err)
			}
			sites = append(sites, s.ID)
		}
	}
	for start := 0; start < 10_000; start += 500 {
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			for i := start; i < start+500; i++ {
				d := &domain.Device{ID: domain.NewID(), SiteID: sites[i%len(sites)], Hostname: fmt.Sprintf("host-%05d", i),
					OS: "linux", Arch: "amd64", Status: domain.DeviceOnline}
				if _, err := tx.Devices().Upsert(ctx, g, d); err != nil {
					return err
				}
				devices = append(devices, d.ID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var pid int
	if err := st.Pool().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		b.Fatal(err)
	}
	backend := func() time.Duration { // utime + stime of the backend, in clock ticks of 10 ms
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatalf("the backend must run on this machine: %v", err)
		}
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		u, _ := strconv.Atoi(f[11])
		s, _ := strconv.Atoi(f[12])
		return time.Duration(u+s) * 10 * time.Millisecond
	}
	client := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	run := func(name string, op func(i int)) {
		b.Run(name, func(b *testing.B) {
			op(0)
			c0, b0 := client(), backend()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				op(i)
			}
			b.StopTimer()
			c, bk := client()-c0, backend()-b0
			b.ReportMetric(float64(c.Microseconds())/float64(b.N), "client-cpu-µs/op")
			b.ReportMetric(float64(bk.Microseconds())/float64(b.N), "backend-cpu-µs/op")
			b.ReportMetric(float64((c+bk).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
	list := func(s domain.Scope, f ports.DeviceFilter, limit int) func(int) {
		return func(int) {
			page, err := st.Devices().List(ctx, s, f, domain.PageRequest{Limit: limit})
			if err != nil || len(page.Items) == 0 {
				b.Fatal(err, len(page.Items))
			}
		}
	}
	run("DeviceList/org_100", list(domain.Scope{OrgIDs: []string{orgs[1]}}, ports.DeviceFilter{}, 100))
	run("DeviceList/partner_org_status", list(domain.Scope{PartnerIDs: []string{p.ID}},
		ports.DeviceFilter{OrgID: orgs[1], Status: domain.DeviceOnline}, 50))
	run("DeviceList/site", list(domain.Scope{SiteIDs: []string{sites[7]}}, ports.DeviceFilter{}, 50))
	run("DeviceList/global", list(g, ports.DeviceFilter{}, 50))
	base := time.Now().UTC().Truncate(time.Second)
	batch := make([]domain.MetricSample, 500)
	next, tick := 0, 0
	run("HeartbeatIngest/batch=500", func(int) {
		tick++
		at := base.Add(time.Duration(tick) * time.Second)
		for j := range batch {
			batch[j] = domain.MetricSample{DeviceID: devices[next], At: at, CPUPercent: float64(j % 100)}
			next = (next + 1) % len(devices)
		}
		if err := st.Telemetry().Write(ctx, batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	})
}
