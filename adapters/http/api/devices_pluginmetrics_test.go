package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// A collector's metric is charted from the stored heartbeats; bad names
// are 400 with the reason, another tenant's device 404.
func TestDevicePluginMetrics(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	ctx := context.Background()
	a, b := ts.Seed.A, ts.Seed.B
	id, _ := ts.NewDevice(t, a, 0, "collector-host")
	now := ts.Clock.Now().UTC().Truncate(time.Minute)
	var samples []domain.MetricSample
	for i := 0; i < 6; i++ { // a sample a minute; queue.depth = i, twice under two labels
		samples = append(samples, domain.MetricSample{DeviceID: id, At: now.Add(time.Duration(i-6) * time.Minute), CPUPercent: 1,
			Detail: `{"plugins":[{"plugin":"acme.queue","name":"queue.depth","value":` + string(rune('0'+i)) + `,"labels":{"q":"a"}},` +
				`{"plugin":"acme.queue","name":"queue.depth","value":` + string(rune('0'+2*i%10)) + `,"labels":{"q":"b"}}]}`})
	}
	if err := ts.AgentStore.Telemetry().Write(ctx, samples, time.Time{}); err != nil {
		t.Fatal(err)
	}
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	q := url.Values{"plugin": {"acme.queue"}, "metric": {"queue.depth"}, "from": {now.Add(-6 * time.Minute).Format(time.RFC3339)},
		"to": {now.Format(time.RFC3339)}, "step": {"180"}}
	code, body := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/plugin-metrics?"+q.Encode(), tok, nil)
	if code != http.StatusOK {
		t.Fatalf("plugin metrics: %d %v", code, body)
	}
	points, _ := body["points"].([]any)
	if len(points) != 2 || body["stepSeconds"] != float64(180) || body["plugin"] != "acme.queue" {
		t.Fatalf("answer %v", body)
	}
	// First 3 minutes: a = 0,1,2 and b = 0,2,4 → avg 1.5, min 0, max 4.
	p0 := points[0].(map[string]any)
	if p0["samples"] != float64(6) || p0["avg"] != 1.5 || p0["min"] != float64(0) || p0["max"] != float64(4) {
		t.Fatalf("first bucket %v", p0)
	}
	for _, bad := range []struct{ q, want string }{
		{"plugin=ACME!&metric=x", "plugin must be a plugin id"},
		{"plugin=acme.queue&metric=", "metric must be"},
		{"plugin=acme.queue&metric=" + url.QueryEscape("a\x01b"), "metric must be"},
		{"plugin=acme.queue&metric=x&colour=red", "colour"},
		{"plugin=acme.queue&metric=x&step=0", "step"},
	} {
		code, body := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/plugin-metrics?"+bad.q, tok, nil)
		if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body), bad.want) {
			t.Errorf("%s: %d %v, want 400 with %q", bad.q, code, body, bad.want)
		}
	}
	tokB := ts.Login(t, b.Admin.Email, b.Admin.Password)
	if code, _ := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/plugin-metrics?plugin=acme.queue&metric=queue.depth", tokB, nil); code != http.StatusNotFound {
		t.Errorf("another tenant: %d, want 404", code)
	}
}
