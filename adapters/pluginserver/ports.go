package pluginserver

import (
	"context"
	"encoding/json"
	"io"

	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// The core's plugin ports over the sdk interfaces. Each adapter takes any
// sdk value of the kind (a pluginhost.Supervisor's client or an in-process
// implementation), so plugin-backed and built-in ones are interchangeable.

// NotifierFrom adapts an sdk.AlertChannel to ports.Notifier.
func NotifierFrom(ch sdk.AlertChannel) ports.Notifier { return notifier{ch} }

type notifier struct{ ch sdk.AlertChannel }

func (n notifier) Send(ctx context.Context, in ports.Notification) (ports.NotifyResult, error) {
	r, err := n.ch.Send(ctx, sdk.Notification{
		ID: in.ID, OrgID: in.OrgID, DeviceID: in.DeviceID, DeviceName: in.DeviceName,
		Severity: in.Severity, Status: in.Status, Title: in.Title, Message: in.Message,
		Source: in.Source, URL: in.URL, OccurredAt: in.OccurredAt, Labels: in.Labels, Settings: in.Settings,
	})
	return ports.NotifyResult{Delivered: r.Delivered, Attempts: r.Attempts, Detail: r.Detail}, err
}

func (n notifier) Test(ctx context.Context, settings json.RawMessage) (ports.NotifyTestResult, error) {
	r, err := n.ch.Test(ctx, settings)
	return ports.NotifyTestResult{OK: r.OK, Detail: r.Detail}, err
}

// ScannerFrom adapts an sdk.Scanner to ports.Scanner.
func ScannerFrom(sc sdk.Scanner) ports.Scanner { return scannerPort{sc} }

type scannerPort struct{ sc sdk.Scanner }

func (p scannerPort) Scan(ctx context.Context, req ports.ScanRequest, emit func(ports.ScannedAsset) error) error {
	spec := sdk.TargetSpec{
		Targets: req.Targets, Ports: req.Ports, Concurrency: req.Concurrency,
		RatePerSecond: req.RatePerSecond, Timeout: req.Timeout, Options: req.Options,
	}
	return p.sc.Scan(ctx, spec, func(a sdk.Asset) error {
		return emit(ports.ScannedAsset{
			IP: a.IP, Hostname: a.Hostname, MAC: a.MAC, Alive: a.Alive,
			OpenPorts: a.OpenPorts, RTT: a.RTT, Attributes: a.Attributes,
		})
	})
}

// ScriptRuntimeFrom adapts an sdk.ScriptRuntime to ports.ScriptRuntime.
func ScriptRuntimeFrom(rt sdk.ScriptRuntime) ports.ScriptRuntime { return runtimePort{rt} }

type runtimePort struct{ rt sdk.ScriptRuntime }

func (p runtimePort) Languages(ctx context.Context) ([]string, error) { return p.rt.Languages(ctx) }

func (p runtimePort) Run(ctx context.Context, req ports.ScriptRequest, stdout, stderr io.Writer) (ports.ScriptExit, error) {
	st, err := p.rt.Run(ctx, sdk.RunRequest{
		Language: req.Language, Body: req.Body, Args: req.Args, Env: req.Env, Timeout: req.Timeout,
	}, stdout, stderr)
	return ports.ScriptExit{Code: st.Code, TimedOut: st.TimedOut}, err
}

// CollectorFrom adapts an sdk.Collector to ports.Collector.
func CollectorFrom(c sdk.Collector) ports.Collector { return collectorPort{c} }

type collectorPort struct{ c sdk.Collector }

func (p collectorPort) Collect(ctx context.Context) (ports.Collected, error) {
	col, err := p.c.Collect(ctx)
	if err != nil {
		return ports.Collected{}, err
	}
	out := ports.Collected{
		Metrics: make([]ports.CollectedMetric, 0, len(col.Metrics)),
		Facts:   make([]ports.CollectedFact, 0, len(col.Facts)),
	}
	for _, m := range col.Metrics {
		out.Metrics = append(out.Metrics, ports.CollectedMetric{Name: m.Name, Value: m.Value, Unit: m.Unit, Labels: m.Labels})
	}
	for _, f := range col.Facts {
		out.Facts = append(out.Facts, ports.CollectedFact{Key: f.Key, Value: f.Value})
	}
	return out, nil
}
