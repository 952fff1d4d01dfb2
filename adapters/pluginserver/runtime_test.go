//go:build linux

package pluginserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/pluginhost/pluginhosttest"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// noStore is a PluginStore the plugins under test never reach.
type noStore struct{ ports.PluginStore }

// loopbackAllowed lets plugins' HTTP through the host reach the tests'
// local receivers (the server refuses loopback by default).
var loopbackAllowed = egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The webhook plugin through the Runtime and its ports.Notifier: the path
// alert delivery takes on the server.
func TestRuntimeNotifierSendsThroughWebhook(t *testing.T) {
	srv, bodies := pluginhosttest.Receiver(t)

	rt, err := NewRuntime(RuntimeOptions{Store: noStore{}, Egress: loopbackAllowed})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	defer func() { _ = rt.StopAll(context.Background()) }()
	if _, err := rt.Notifier("test.webhook"); !errors.Is(err, pluginhost.ErrNotRunning) {
		t.Fatalf("notifier before start: %v", err)
	}
	exe, sum := installed(t, "webhook")
	if err := rt.Start(ctx, plugins.RunSpec{ID: "test.webhook", Version: "0.0.1", Kind: string(sdk.KindAlertChannel), Exec: exe, SHA256: sum}); err != nil {
		t.Fatal(err)
	}
	if st, ok := rt.Status("test.webhook"); !ok || st.State != string(pluginhost.StateRunning) {
		t.Fatalf("status: %+v %v", st, ok)
	}
	n, err := rt.Notifier("test.webhook")
	if err != nil {
		t.Fatal(err)
	}
	settings := json.RawMessage(`{"url":"` + srv.URL + `","secret":"s3cret","maxAttempts":1}`)
	r, err := n.Send(ctx, ports.Notification{ID: "n2", OrgID: "o1", Severity: "info", Title: "Via port", OccurredAt: time.Now(), Settings: settings})
	if err != nil || !r.Delivered || r.Attempts != 1 {
		t.Fatalf("port send: %+v %v", r, err)
	}
	got := bodies()
	if len(got) != 1 || !strings.Contains(got[0], "Via port") {
		t.Fatalf("receiver got %q", got)
	}
	pluginhosttest.WebhookRejectsBadSettings(t, settings,
		func(s json.RawMessage) error {
			_, err := n.Send(ctx, ports.Notification{Title: "x", Settings: s})
			return err
		},
		func(s json.RawMessage) (bool, error) {
			tr, err := n.Test(ctx, s)
			return tr.OK, err
		})
}

// The failedunits collector supervised by pluginhost, read as ports.Collector.
func TestCollectorPortThroughFailedunits(t *testing.T) {
	exe, sum := installed(t, "failedunits")
	sup, err := pluginhost.New(pluginhost.Spec{ID: "test.failedunits", Version: "0.0.1", Kind: sdk.KindCollector, Exec: exe, SHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sup.Stop(context.Background()) }()
	ctx := testCtx(t)
	if err := sup.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := sup.Collector()
	if err != nil {
		t.Fatal(err)
	}
	col, err := CollectorFrom(c).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range col.Facts {
		found = found || (f.Key == "systemd.available" && (f.Value == "true" || f.Value == "false"))
	}
	if !found {
		t.Fatalf("no systemd.available fact in %+v", col)
	}
}
