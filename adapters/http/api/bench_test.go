package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The cost of the edge alone, of authentication on a read, and of
// authentication plus the audit row on a write (SQLite):
//
//	go test -run '^$' -bench . ./adapters/http/api/
func BenchmarkMiddleware(b *testing.B) {
	ts := apitest.NewServer(b)
	tok := ts.Login(b, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	org := ts.Seed.A.Orgs[0]

	b.Run("public healthz", func(b *testing.B) {
		for b.Loop() {
			if rec := ts.Request(b, http.MethodGet, "/healthz", "", nil, nil); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("authenticated GET org", func(b *testing.B) {
		for b.Loop() {
			if rec := ts.Request(b, http.MethodGet, api.Prefix+"/orgs/"+org.ID, tok, nil, nil); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("authenticated and audited PATCH org", func(b *testing.B) {
		version := org.Version
		i := 0
		for b.Loop() {
			i++
			body := fmt.Sprintf(`{"name":"Org A1 %d","version":%d}`, i, version)
			if rec := ts.Request(b, http.MethodPatch, api.Prefix+"/orgs/"+org.ID, tok, body, nil); rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body.String())
			}
			version++
		}
	})
}

// Authenticated device listing: 100 devices in org A1, read by an Org
// Technician scoped to A1 (on each storage adapter), against the same scoped
// store call without HTTP, auth or JSON — the difference is the edge's cost.
//
//	go test -run '^$' -bench DeviceList -benchtime 2000x ./adapters/http/api/
func BenchmarkDeviceList(b *testing.B) {
	for _, backend := range []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}} {
		b.Run(backend.name, func(b *testing.B) {
			ts := apitest.NewServerWith(b, apitest.Options{Postgres: backend.pg})
			unit := ts.Seed.A.OrgUnit(0)
			site := ts.Seed.A.Sites[0]
			ctx := context.Background()
			for i := 0; i < 100; i++ {
				d := &domain.Device{ID: domain.NewID(), SiteID: site.ID, Hostname: fmt.Sprintf("host-%03d", i), OS: "linux", Arch: "amd64"}
				if _, err := ts.Store.Devices().Upsert(ctx, domain.GlobalScope(), d); err != nil {
					b.Fatal(err)
				}
			}
			tech := ts.NewUser(b, domain.RoleOrgTechnician, unit, "")
			tok := ts.Login(b, tech.Email, tech.Password)
			path := api.Prefix + "/devices?limit=100"
			b.Run("http", func(b *testing.B) {
				for b.Loop() {
					rec := ts.Request(b, http.MethodGet, path, tok, nil, nil)
					if rec.Code != 200 {
						b.Fatal(rec.Code, rec.Body.String())
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
			scope := domain.Scope{OrgIDs: []string{unit.OrgID}}
			b.Run("store only", func(b *testing.B) {
				for b.Loop() {
					page, err := ts.Store.Devices().List(ctx, scope, ports.DeviceFilter{}, domain.PageRequest{Limit: 100})
					if err != nil || len(page.Items) != 100 {
						b.Fatal(err, len(page.Items))
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		})
	}
}
