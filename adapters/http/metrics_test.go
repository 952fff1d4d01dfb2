package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	dto "github.com/prometheus/client_model/go"
)

// counterValue reads breeze_http_requests_total for exact labels from the registry.
func counterValue(t *testing.T, ts *testServer, method, route, status string) float64 {
	t.Helper()
	mfs, err := ts.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "breeze_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelsAre(m, map[string]string{"method": method, "route": route, "status": status}) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func labelsAre(m *dto.Metric, want map[string]string) bool {
	if len(m.GetLabel()) != len(want) {
		return false
	}
	for _, l := range m.GetLabel() {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

func TestMetricsUseRouteTemplate(t *testing.T) {
	ts := newTestServer(t, func(d *Deps) { d.Options.Version = "1.2.3" })
	ts.Handle(http.MethodGet, "/devices/:id", Public(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	ts.Handle(http.MethodGet, "/boom", Public(), func(*gin.Context) { panic("x") })
	for _, id := range []string{"a", "b", "c"} {
		ts.do(t, http.MethodGet, "/devices/"+id, nil, nil)
	}
	ts.do(t, http.MethodGet, "/random/"+strings.Repeat("z", 50), nil, nil)
	ts.do(t, "FOOBAR", "/devices/a", nil, nil)
	ts.do(t, http.MethodGet, "/boom", nil, nil)

	if got := counterValue(t, ts, "GET", "/devices/:id", "204"); got != 3 {
		t.Errorf("GET /devices/:id 204 = %v, want 3", got)
	}
	if got := counterValue(t, ts, "GET", "unmatched", "404"); got != 1 {
		t.Errorf("unmatched 404 = %v, want 1", got)
	}
	if got := counterValue(t, ts, "other", "unmatched", "405"); got != 1 {
		t.Errorf("invented method 405 = %v, want 1 under method=other", got)
	}
	if got := counterValue(t, ts, "GET", "/boom", "500"); got != 1 {
		t.Errorf("panic counted as 500 = %v, want 1", got)
	}

	// And the scrape endpoint shows it, never the raw path.
	body := ts.do(t, http.MethodGet, "/metrics", nil, nil).Body.String()
	for _, want := range []string{
		`breeze_http_requests_total{method="GET",route="/devices/:id",status="204"} 3`,
		`breeze_http_request_duration_seconds_count{method="GET",route="/devices/:id"} 3`,
		`breeze_build_info{version="1.2.3"} 1`,
		`breeze_http_requests_in_flight 1`, // the scrape itself
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, leak := range []string{"/devices/a", "zzzz", "FOOBAR"} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics carries raw request data %q", leak)
		}
	}
}

func TestMetricsDoubleRegistrationFails(t *testing.T) {
	ts := newTestServer(t, nil)
	if _, err := New(Deps{Ready: func(context.Context) error { return nil }, Registry: ts.reg}); err == nil {
		t.Fatal("a second server on the same registry registered its metrics twice")
	}
}
