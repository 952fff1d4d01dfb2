package ports

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// The plugin kinds as the core sees them. These types mirror the SDK's but
// belong to the core, so the core never imports the SDK (which pulls in
// go-plugin). adapters/pluginserver wraps a supervised plugin as each port;
// a built-in implementation satisfies the same interface.

// Notification is one alert event handed to a notification channel.
type Notification struct {
	ID         string
	OrgID      string
	DeviceID   string
	DeviceName string
	Severity   string // info, warning, critical
	Status     string // triggered, resolved
	Title      string
	Message    string
	Source     string
	URL        string
	OccurredAt time.Time
	Labels     map[string]string
	// Settings are the channel's settings for the org (JSON); empty lets the
	// channel ask its host for them.
	Settings json.RawMessage
}

// NotifyResult says whether a notification got through.
type NotifyResult struct {
	Delivered bool
	Attempts  int
	Detail    string
}

// NotifyTestResult answers "would these settings work?".
type NotifyTestResult struct {
	OK     bool
	Detail string
}

// Notifier delivers alert notifications (an alert channel).
type Notifier interface {
	Send(ctx context.Context, n Notification) (NotifyResult, error)
	Test(ctx context.Context, settings json.RawMessage) (NotifyTestResult, error)
}

// ScanRequest says what a discovery scanner should look at.
type ScanRequest struct {
	Targets       []string // CIDRs or single addresses
	Ports         []int
	Concurrency   int
	RatePerSecond int
	Timeout       time.Duration // per probe
	Options       map[string]string
}

// ScannedAsset is one thing a scanner found.
type ScannedAsset struct {
	IP         string
	Hostname   string
	MAC        string
	Alive      bool
	OpenPorts  []int
	RTT        time.Duration
	Attributes map[string]string
}

// Scanner discovers assets; emit is called per asset as it is found and a
// failing emit stops the scan with its error.
type Scanner interface {
	Scan(ctx context.Context, req ScanRequest, emit func(ScannedAsset) error) error
}

// ScriptRequest is one script run.
type ScriptRequest struct {
	Language string
	Body     string
	Args     []string
	Env      map[string]string
	Timeout  time.Duration // 0: until ctx ends
}

// ScriptExit ends every run.
type ScriptExit struct {
	Code     int
	TimedOut bool
}

// ScriptRuntime runs scripts of the languages it lists, streaming output to
// stdout and stderr; cancelling ctx stops the run.
type ScriptRuntime interface {
	Languages(ctx context.Context) ([]string, error)
	Run(ctx context.Context, req ScriptRequest, stdout, stderr io.Writer) (ScriptExit, error)
}

// CollectedMetric is one telemetry value from a collector.
type CollectedMetric struct {
	Name   string
	Value  float64
	Unit   string
	Labels map[string]string
}

// CollectedFact is one inventory fact from a collector.
type CollectedFact struct {
	Key   string
	Value string
}

// Collected is what one Collect returns.
type Collected struct {
	Metrics []CollectedMetric
	Facts   []CollectedFact
}

// Collector adds telemetry and inventory facts.
type Collector interface {
	Collect(ctx context.Context) (Collected, error)
}
