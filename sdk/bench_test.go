package sdk_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/internal/toy"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// One Collect / Send call: direct Go call vs gRPC in-process vs the real
// go-plugin subprocess (AutoMTLS over a unix socket). The difference is the
// per-call price of running a plugin out of process.

func BenchmarkCollectDirect(b *testing.B) {
	c := &toy.Collector{}
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Collect(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollectInProcessGRPC(b *testing.B) {
	c := sdktest.InProcess[sdk.Collector](b, sdk.KindCollector, &toy.Collector{}, nil)
	benchCollect(b, c)
}

func BenchmarkCollectSubprocess(b *testing.B) {
	b.Setenv("SDKTEST_KIND", string(sdk.KindCollector))
	c, _ := sdktest.Launch[sdk.Collector](b, sdktest.Build(b, "internal/testplugin"), sdk.KindCollector, nil)
	benchCollect(b, c)
}

func benchCollect(b *testing.B, c sdk.Collector) {
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Collect(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

var okSettings = json.RawMessage(`{"ok":true}`)

func BenchmarkSendDirect(b *testing.B) {
	benchSend(b, &toy.Alert{})
}

func BenchmarkSendSubprocess(b *testing.B) {
	b.Setenv("SDKTEST_KIND", string(sdk.KindAlertChannel))
	ch, _ := sdktest.Launch[sdk.AlertChannel](b, sdktest.Build(b, "internal/testplugin"), sdk.KindAlertChannel, nil)
	benchSend(b, ch)
}

func benchSend(b *testing.B, ch sdk.AlertChannel) {
	ctx := context.Background()
	n := sdk.Notification{ID: "n", Title: "Disk full", Message: "/ is 97% full", Severity: "critical", Settings: okSettings}
	b.ResetTimer()
	for b.Loop() {
		if res, err := ch.Send(ctx, n); err != nil || !res.Delivered {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkPluginStart: exec the binary, handshake, AutoMTLS, dispense, Init,
// Info — everything until a host can make its first call — then kill.
func BenchmarkPluginStart(b *testing.B) {
	bin := sdktest.Build(b, "internal/testplugin")
	b.Setenv("SDKTEST_KIND", string(sdk.KindCollector))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		client := plugin.NewClient(sdk.NewClientConfig(sdk.ClientConfig{Cmd: exec.Command(bin), Host: sdktest.NewFakeHost(nil)}))
		rpc, err := client.Client()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := sdk.ClientFor(ctx, rpc, sdk.KindCollector); err != nil {
			b.Fatal(err)
		}
		client.Kill()
	}
}
