//go:build linux

package pluginhost

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/pluginhost/pluginhosttest"
	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// The direct baselines call testdata/null's implementations in-process.
// Package-level interface values and sinks keep the compiler from inlining
// the direct calls away.
var (
	directCollector sdk.Collector    = testplugin.NullCollector{}
	directAlert     sdk.AlertChannel = testplugin.NullAlert{}
	sinkCollection  sdk.Collection
	sinkSend        sdk.SendResult
)

func quiet(spec Spec) Spec {
	spec.Logger = hclog.NewNullLogger()
	return spec
}

// BenchmarkStart measures launch until the plugin answered Info (Start);
// Stop is outside the timer.
func BenchmarkStart(b *testing.B) {
	for _, name := range []string{"null", "webhook"} {
		b.Run(name, func(b *testing.B) {
			spec := quiet(install(b, name, sdk.KindCollector))
			if name == "webhook" {
				spec.Kind = sdk.KindAlertChannel
			}
			ctx := context.Background()
			for b.Loop() {
				s, err := New(spec)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = s.Stop(ctx)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkCollect: one Collect through the supervisor (child process,
// gRPC over AutoMTLS, call timeout) against a direct in-process call of the
// same implementation. adapters/pluginserver measures the core ports on top.
func BenchmarkCollect(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			col, err := directCollector.Collect(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sinkCollection = col
		}
	})
	b.Run("go-plugin-without-supervisor", func(b *testing.B) {
		c, _ := sdktest.Launch[sdk.Collector](b, filepath.Join(pluginhosttest.BinDir(), "null"), sdk.KindCollector, nil)
		for b.Loop() {
			if _, err := c.Collect(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	s, _ := start(b, quiet(install(b, "null", sdk.KindCollector)))
	b.Run("supervisor", func(b *testing.B) {
		c, _ := s.Collector()
		for b.Loop() {
			if _, err := c.Collect(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSend: one Send through the supervisor against a direct call, and
// the real webhook plugin posting to a local HTTP receiver.
func BenchmarkSend(b *testing.B) {
	ctx := context.Background()
	n := sdk.Notification{ID: "n", OrgID: "o", Severity: "warning", Title: "Disk 91% full", Message: "C: has 4 GB left", OccurredAt: time.Now()}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			r, err := directAlert.Send(ctx, n)
			if err != nil {
				b.Fatal(err)
			}
			sinkSend = r
		}
	})
	spec := quiet(install(b, "null", sdk.KindAlertChannel))
	spec.Env = []string{"NULL_KIND=alert_channel"}
	s, _ := start(b, spec)
	b.Run("supervisor", func(b *testing.B) {
		ch, _ := s.AlertChannel()
		for b.Loop() {
			if _, err := ch.Send(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("webhook-supervisor", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer srv.Close()
		wspec := quiet(install(b, "webhook", sdk.KindAlertChannel))
		wspec.Host = sdktest.NewFakeHost(nil) // the webhook posts through the host's HTTP
		ws, _ := start(b, wspec)
		ch, _ := ws.AlertChannel()
		wn := n
		wn.Settings = json.RawMessage(`{"url":"` + srv.URL + `","secret":"s"}`)
		for b.Loop() {
			if r, err := ch.Send(ctx, wn); err != nil || !r.Delivered {
				b.Fatal(r, err)
			}
		}
	})
}
