//go:build linux

package pluginserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// BenchmarkPorts: the cost of the core ports over an in-process collector,
// and alert delivery as the server does it: the Runtime's Notifier over the
// supervised webhook plugin, which posts to a local receiver through the
// host's egress (pluginhost's own benchmarks measure the supervisor alone).
func BenchmarkPorts(b *testing.B) {
	ctx := context.Background()
	b.Run("collector-direct-port", func(b *testing.B) {
		c := CollectorFrom(&fakeKinds{collects: sdk.Collection{Metrics: []sdk.Metric{{Name: "m", Value: 1}}}})
		for b.Loop() {
			if _, err := c.Collect(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("webhook-supervisor-port", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer srv.Close()
		rt, err := NewRuntime(RuntimeOptions{Store: noStore{}, Egress: loopbackAllowed, Logger: hclog.NewNullLogger()})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = rt.StopAll(ctx) }()
		exe, sum := installed(b, "webhook")
		if err := rt.Start(ctx, plugins.RunSpec{ID: "bench.webhook", Version: "1.0.0", Kind: string(sdk.KindAlertChannel), Exec: exe, SHA256: sum}); err != nil {
			b.Fatal(err)
		}
		p, err := rt.Notifier("bench.webhook")
		if err != nil {
			b.Fatal(err)
		}
		pn := ports.Notification{ID: "n", OrgID: "o", Severity: "warning", Title: "Disk 91% full", Message: "C: has 4 GB left",
			OccurredAt: time.Now(), Settings: json.RawMessage(`{"url":"` + srv.URL + `","secret":"s"}`)}
		for b.Loop() {
			if r, err := p.Send(ctx, pn); err != nil || !r.Delivered {
				b.Fatal(r, err)
			}
		}
	})
}
