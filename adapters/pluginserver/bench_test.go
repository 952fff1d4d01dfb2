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

	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// BenchmarkPorts: the cost of the core ports over an in-process collector
// and over the supervised webhook plugin posting to a local receiver
// (pluginhost's own benchmarks measure the supervisor underneath).
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
		exe, sum := installed(b, "webhook")
		sup, err := pluginhost.New(pluginhost.Spec{ID: "bench.webhook", Kind: sdk.KindAlertChannel, Exec: exe, SHA256: sum, Logger: hclog.NewNullLogger()})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = sup.Stop(ctx) }()
		if err := sup.Start(ctx); err != nil {
			b.Fatal(err)
		}
		ch, _ := sup.AlertChannel()
		p := NotifierFrom(ch)
		pn := ports.Notification{ID: "n", OrgID: "o", Severity: "warning", Title: "Disk 91% full", Message: "C: has 4 GB left",
			OccurredAt: time.Now(), Settings: json.RawMessage(`{"url":"` + srv.URL + `","secret":"s"}`)}
		for b.Loop() {
			if r, err := p.Send(ctx, pn); err != nil || !r.Delivered {
				b.Fatal(r, err)
			}
		}
	})
}
