package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/internal/toy"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// The conformance suites pass on minimal plugins of every kind: they test
// the suites and the gRPC shims together.
func TestConformanceToyAlert(t *testing.T) {
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return &toy.Alert{} }, sdktest.AlertChannelFixture{
		ValidSettings: json.RawMessage(`{"ok":true}`), InvalidSettings: json.RawMessage(`{"ok":false}`),
	})
}

func TestConformanceToyScanner(t *testing.T) {
	sdktest.ScannerConformance(t, func(*testing.T) sdk.Scanner { return &toy.Scanner{} }, sdktest.ScannerFixture{
		Target: sdk.TargetSpec{Targets: []string{"192.0.2.0/30"}, Ports: []int{22}}, Invalid: sdk.TargetSpec{Targets: []string{"x"}},
	})
}

func TestConformanceToyRuntime(t *testing.T) {
	sdktest.ScriptRuntimeConformance(t, func(*testing.T) sdk.ScriptRuntime { return &toy.Runtime{} }, sdktest.ScriptRuntimeFixture{
		Language: "toy", Hello: "echo hello", Exit3: "exit 3", Stderr: "warn oops", Forever: "sleep",
	})
}

func TestConformanceToyCollector(t *testing.T) {
	sdktest.CollectorConformance(t, func(*testing.T) sdk.Collector { return &toy.Collector{} })
}

// The plugin reaches the host's KV, settings and log over the broker.
func TestHostAPIOverBroker(t *testing.T) {
	host := sdktest.NewFakeHost(json.RawMessage(`{"ok":true,"kv":true}`))
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &toy.Alert{}, host)
	for i := 0; i < 3; i++ {
		if res, err := ch.Send(context.Background(), sdk.Notification{ID: "n", Title: "t"}); err != nil || !res.Delivered {
			t.Fatalf("Send = %+v, %v", res, err)
		}
	}
	v, found, _ := host.KVGet(context.Background(), "sent")
	if !found || string(v) != "xxx" {
		t.Fatalf("KV sent = %q, %v", v, found)
	}
	if logs := host.Logs(); len(logs) != 3 || logs[0].Message != "sent t" || logs[0].Fields["id"] != "n" || logs[0].Level != sdk.LogInfo {
		t.Fatalf("logs %+v", logs)
	}
}

// Without a host the plugin's Host answers ErrNoHost, which crosses back as an error.
func TestNoHost(t *testing.T) {
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &toy.Alert{}, nil)
	_, err := ch.Send(context.Background(), sdk.Notification{Title: "t"})
	if err == nil {
		t.Fatal("Send without settings or host succeeded")
	}
}

func TestInvalidCrossesTheWire(t *testing.T) {
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &toy.Alert{}, nil)
	_, err := ch.Send(context.Background(), sdk.Notification{Settings: json.RawMessage(`{"ok":false}`)})
	if !errors.Is(err, sdk.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

// A plugin of one kind cannot be used as another.
func TestClientForChecksKind(t *testing.T) {
	ps := map[string]plugin.Plugin{string(sdk.KindCollector): &sdk.GRPCPlugin{Kind: sdk.KindCollector, Impl: &lyingCollector{}}}
	client, server := plugin.TestPluginGRPCConn(t, false, ps)
	defer client.Close()
	defer server.Stop() // runs first; see sdktest.InProcess
	if _, _, err := sdk.ClientFor(context.Background(), client, sdk.KindCollector); err == nil {
		t.Fatal("a plugin claiming another kind was accepted")
	}
}

type lyingCollector struct{ toy.Collector }

func (*lyingCollector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Kind: sdk.KindScanner, Name: "liar", Version: "1.0.0"}, nil
}

func TestKinds(t *testing.T) {
	for _, k := range sdk.Kinds {
		if got, err := sdk.ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := sdk.ParseKind("rootkit"); err == nil {
		t.Error("unknown kind accepted")
	}
}

// The real binary through go-plugin: handshake, AutoMTLS, versioned sets.
func TestSubprocessEveryKind(t *testing.T) {
	bin := sdktest.Build(t, "internal/testplugin")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Setenv("SDKTEST_KIND", string(sdk.KindCollector))
	col, _ := sdktest.Launch[sdk.Collector](t, bin, sdk.KindCollector, nil)
	if c, err := col.Collect(ctx); err != nil || len(c.Metrics) != 1 || c.Metrics[0].Value != 42 {
		t.Fatalf("Collect = %+v, %v", c, err)
	}
	t.Setenv("SDKTEST_KIND", string(sdk.KindAlertChannel))
	host := sdktest.NewFakeHost(json.RawMessage(`{"ok":true,"kv":true}`))
	ch, _ := sdktest.Launch[sdk.AlertChannel](t, bin, sdk.KindAlertChannel, host)
	if res, err := ch.Send(ctx, sdk.Notification{Title: "t"}); err != nil || !res.Delivered || len(host.Logs()) != 1 {
		t.Fatalf("Send = %+v, %v, logs %v", res, err, host.Logs())
	}
	// Asking a collector binary for a scanner fails cleanly.
	t.Setenv("SDKTEST_KIND", string(sdk.KindCollector))
	_, client := sdktest.Launch[sdk.Collector](t, bin, sdk.KindCollector, nil)
	rpc, _ := client.Client()
	if _, _, err := sdk.ClientFor(ctx, rpc, sdk.KindScanner); err == nil {
		t.Fatal("dispensed a scanner from a collector plugin")
	}
}
