package api_test

import (
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
)

// Every answer of an authenticated route, refusals included, carries
// Cache-Control: no-store, so no browser or proxy cache keeps tenant data.
func TestAuthenticatedAnswersAreNotStored(t *testing.T) {
	ts := apitest.NewServer(t)
	tok := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"list", api.Prefix + "/orgs", tok, http.StatusOK},
		{"me", mePath, tok, http.StatusOK},
		{"no credentials", api.Prefix + "/orgs", "", http.StatusUnauthorized},
		{"foreign", api.Prefix + "/orgs/" + ts.Seed.B.Orgs[0].ID, tok, http.StatusNotFound},
	} {
		rec := ts.Request(t, http.MethodGet, tc.path, tc.token, nil, nil)
		if rec.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body.String())
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", tc.name, got)
		}
	}
	// A public answer is not forced out of caches.
	if rec := ts.Request(t, http.MethodGet, "/healthz", "", nil, nil); rec.Header().Get("Cache-Control") == "no-store" {
		t.Errorf("/healthz is no-store: the edge marks public answers too")
	}
}
