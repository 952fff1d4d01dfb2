package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDashboardServesPagesButNeverServerPaths(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>dashboard</html>"))
	})
	srv := newTestServer(t, func(d *Deps) { d.Web = web })
	cases := []struct {
		method, path string
		page         bool
	}{
		{"GET", "/", true},
		{"GET", "/devices/123", true},
		{"HEAD", "/assets/app.js", true},
		{"GET", "/api/v1/nope", false},
		{"GET", "/api", false},
		{"GET", "/downloads/x", false},
		{"POST", "/devices", false},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		isPage := strings.Contains(rec.Body.String(), "dashboard") || (c.method == "HEAD" && rec.Code == 200)
		if isPage != c.page {
			t.Errorf("%s %s: status %d body %q, want page=%v", c.method, c.path, rec.Code, rec.Body.String(), c.page)
		}
		if !c.page && rec.Code/100 != 4 {
			t.Errorf("%s %s: status %d, want 4xx JSON", c.method, c.path, rec.Code)
		}
	}
	// The dashboard gets the same security headers as the API.
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Fatalf("missing security headers on the dashboard: %v", rec.Header())
	}
}
