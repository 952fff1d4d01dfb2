package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
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
