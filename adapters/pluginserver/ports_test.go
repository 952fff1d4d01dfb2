package pluginserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// fakeKinds implements every sdk kind in-process and records what it got.
type fakeKinds struct {
	sent     sdk.Notification
	tested   json.RawMessage
	spec     sdk.TargetSpec
	run      sdk.RunRequest
	fail     error
	collects sdk.Collection
}

func (f *fakeKinds) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: "fake"}, nil }
func (f *fakeKinds) Send(_ context.Context, n sdk.Notification) (sdk.SendResult, error) {
	f.sent = n
	return sdk.SendResult{Delivered: true, Attempts: 2, Detail: "202"}, f.fail
}
func (f *fakeKinds) Test(_ context.Context, s json.RawMessage) (sdk.TestResult, error) {
	f.tested = s
	return sdk.TestResult{OK: true, Detail: "reachable"}, f.fail
}
func (f *fakeKinds) Scan(_ context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	f.spec = spec
	return emit(sdk.Asset{IP: "10.0.0.7", Hostname: "nas", MAC: "aa:bb", Alive: true, OpenPorts: []int{22, 443},
		RTT: 3 * time.Millisecond, Attributes: map[string]string{"os": "linux"}})
}
func (f *fakeKinds) Languages(context.Context) ([]string, error) { return []string{"lua"}, nil }
func (f *fakeKinds) Run(_ context.Context, req sdk.RunRequest, stdout, _ io.Writer) (sdk.ExitStatus, error) {
	f.run = req
	_, _ = io.WriteString(stdout, "hi")
	return sdk.ExitStatus{Code: 3, TimedOut: true}, nil
}
func (f *fakeKinds) Collect(context.Context) (sdk.Collection, error) { return f.collects, f.fail }

func TestNotifierMapsEveryField(t *testing.T) {
	f := &fakeKinds{}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := ports.Notification{ID: "n", OrgID: "o", DeviceID: "d", DeviceName: "pc", Severity: "critical", Status: "open",
		Title: "t", Message: "m", Source: "s", URL: "u", OccurredAt: at, Labels: map[string]string{"k": "v"},
		Settings: json.RawMessage(`{"url":"x"}`)}
	r, err := NotifierFrom(f).Send(context.Background(), in)
	if err != nil || r != (ports.NotifyResult{Delivered: true, Attempts: 2, Detail: "202"}) {
		t.Fatalf("send: %+v %v", r, err)
	}
	want := sdk.Notification{ID: "n", OrgID: "o", DeviceID: "d", DeviceName: "pc", Severity: "critical", Status: "open",
		Title: "t", Message: "m", Source: "s", URL: "u", OccurredAt: at, Labels: map[string]string{"k": "v"},
		Settings: json.RawMessage(`{"url":"x"}`)}
	if !reflect.DeepEqual(f.sent, want) {
		t.Fatalf("plugin got %+v, want %+v", f.sent, want)
	}
	tr, err := NotifierFrom(f).Test(context.Background(), json.RawMessage(`{}`))
	if err != nil || tr != (ports.NotifyTestResult{OK: true, Detail: "reachable"}) || string(f.tested) != "{}" {
		t.Fatalf("test: %+v %v %s", tr, err, f.tested)
	}
	f.fail = sdk.ErrInvalid
	if _, err := NotifierFrom(f).Send(context.Background(), in); !errors.Is(err, sdk.ErrInvalid) {
		t.Fatalf("the plugin's error is lost: %v", err)
	}
}

func TestScannerRuntimeAndCollectorMapping(t *testing.T) {
	f := &fakeKinds{collects: sdk.Collection{
		Metrics: []sdk.Metric{{Name: "m", Value: 1.5, Unit: "count", Labels: map[string]string{"a": "b"}}},
		Facts:   []sdk.Fact{{Key: "k", Value: "v"}},
	}}
	ctx := context.Background()

	req := ports.ScanRequest{Targets: []string{"10.0.0.0/24"}, Ports: []int{22}, Concurrency: 4, RatePerSecond: 9,
		Timeout: time.Second, Options: map[string]string{"o": "1"}}
	var got []ports.ScannedAsset
	if err := ScannerFrom(f).Scan(ctx, req, func(a ports.ScannedAsset) error { got = append(got, a); return nil }); err != nil {
		t.Fatal(err)
	}
	wantSpec := sdk.TargetSpec{Targets: req.Targets, Ports: req.Ports, Concurrency: 4, RatePerSecond: 9, Timeout: time.Second, Options: req.Options}
	wantAsset := ports.ScannedAsset{IP: "10.0.0.7", Hostname: "nas", MAC: "aa:bb", Alive: true, OpenPorts: []int{22, 443},
		RTT: 3 * time.Millisecond, Attributes: map[string]string{"os": "linux"}}
	if !reflect.DeepEqual(f.spec, wantSpec) || len(got) != 1 || !reflect.DeepEqual(got[0], wantAsset) {
		t.Fatalf("scan: spec %+v, assets %+v", f.spec, got)
	}

	rt := ScriptRuntimeFrom(f)
	if l, err := rt.Languages(ctx); err != nil || len(l) != 1 || l[0] != "lua" {
		t.Fatalf("languages: %v %v", l, err)
	}
	var out strings.Builder
	sreq := ports.ScriptRequest{Language: "lua", Body: "print(1)", Args: []string{"a"}, Env: map[string]string{"X": "1"}, Timeout: time.Minute}
	ex, err := rt.Run(ctx, sreq, &out, io.Discard)
	wantRun := sdk.RunRequest{Language: "lua", Body: "print(1)", Args: []string{"a"}, Env: map[string]string{"X": "1"}, Timeout: time.Minute}
	if err != nil || ex != (ports.ScriptExit{Code: 3, TimedOut: true}) || out.String() != "hi" || !reflect.DeepEqual(f.run, wantRun) {
		t.Fatalf("run: %+v %v %q %+v", ex, err, out.String(), f.run)
	}

	col, err := CollectorFrom(f).Collect(ctx)
	want := ports.Collected{
		Metrics: []ports.CollectedMetric{{Name: "m", Value: 1.5, Unit: "count", Labels: map[string]string{"a": "b"}}},
		Facts:   []ports.CollectedFact{{Key: "k", Value: "v"}},
	}
	if err != nil || !reflect.DeepEqual(col, want) {
		t.Fatalf("collect: %+v %v", col, err)
	}
	f.fail = errors.New("boom")
	if _, err := CollectorFrom(f).Collect(ctx); err == nil {
		t.Fatal("a failed collect must return its error")
	}
}
