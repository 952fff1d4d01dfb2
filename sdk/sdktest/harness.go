package sdktest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/breeze-rmm/breeze/sdk"
)

// InProcess serves impl over a real gRPC connection inside the test process
// (go-plugin's TestPluginGRPCConn, broker included) and returns the host-side
// client, typed as T (sdk.AlertChannel, sdk.Scanner, ...). host may be nil.
func InProcess[T sdk.Plugin](tb testing.TB, kind sdk.Kind, impl sdk.Plugin, host sdk.Host) T {
	tb.Helper()
	ps := map[string]plugin.Plugin{string(kind): &sdk.GRPCPlugin{Kind: kind, Impl: impl, Host: host, APIVersion: sdk.APIVersion}}
	client, server := plugin.TestPluginGRPCConn(tb, false, ps)
	tb.Cleanup(func() {
		// Stop the server first: client.Close would otherwise ask it to stop
		// too, and go-plugin's GRPCServer.Stop is not safe to call twice at once.
		server.Stop()
		_ = client.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, _, err := sdk.Typed[T](ctx, client, kind)
	if err != nil {
		tb.Fatalf("sdktest: in-process %s: %v", kind, err)
	}
	return t
}

// Build compiles the plugin main package in dir (go build, in dir's module)
// into a temporary directory and returns the binary's path.
func Build(tb testing.TB, dir string) string {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatalf("sdktest: %v", err)
	}
	out := filepath.Join(tb.TempDir(), filepath.Base(abs))
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("sdktest: go build %s: %v\n%s", dir, err, b)
	}
	return out
}

// Launch starts the plugin binary through go-plugin exactly as a host does
// (handshake, versioned sets, AutoMTLS, broker) and returns the typed client
// and the go-plugin client (killed at cleanup).
func Launch[T sdk.Plugin](tb testing.TB, bin string, kind sdk.Kind, host sdk.Host) (T, *plugin.Client) {
	tb.Helper()
	var zero T
	client := plugin.NewClient(sdk.NewClientConfig(sdk.ClientConfig{
		Cmd:    exec.Command(bin),
		Host:   host,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
	}))
	tb.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		tb.Fatalf("sdktest: start %s: %v", bin, err)
		return zero, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, _, err := sdk.Typed[T](ctx, rpc, kind)
	if err != nil {
		tb.Fatalf("sdktest: %s: %v", bin, err)
	}
	return t, client
}

// Subprocess builds the plugin in dir and launches it; see Build and Launch.
func Subprocess[T sdk.Plugin](tb testing.TB, dir string, kind sdk.Kind, host sdk.Host) T {
	tb.Helper()
	t, _ := Launch[T](tb, Build(tb, dir), kind, host)
	return t
}

// opener makes the plugin under test for one case of a suite, with host
// as its host API (nil: none).
type opener[T sdk.Plugin] func(t *testing.T, host *FakeHost) T

// inProcess serves factory's implementation over in-process gRPC.
func inProcess[T sdk.Plugin](kind sdk.Kind, factory func(t *testing.T) T) opener[T] {
	return func(t *testing.T, host *FakeHost) T {
		var h sdk.Host
		if host != nil {
			h = host
		}
		return InProcess[T](t, kind, factory(t), h)
	}
}

// fromBinary launches the built executable bin for each case.
func fromBinary[T sdk.Plugin](kind sdk.Kind, bin string) opener[T] {
	return func(t *testing.T, host *FakeHost) T {
		var h sdk.Host
		if host != nil {
			h = host
		}
		p, _ := Launch[T](t, bin, kind, h)
		return p
	}
}
