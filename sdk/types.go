package sdk

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// Info is what every plugin says about itself before it is used.
type Info struct {
	Kind        Kind
	Name        string
	Version     string
	APIVersions []int
	Description string
}

// Plugin is the part every kind shares.
type Plugin interface {
	// Info describes the plugin. Serve fills an empty Kind and APIVersions.
	Info(ctx context.Context) (Info, error)
}

// Notification is one alert event handed to an alert channel.
type Notification struct {
	// ID is stable per (alert, transition): a retried delivery carries the
	// same ID, so channels can use it as a dedup key (an e-mail Message-ID).
	ID         string
	OrgID      string
	DeviceID   string
	DeviceName string
	Severity   string // info, warning, critical
	Status     string // triggered, acknowledged, resolved
	Title      string
	Message    string
	Source     string
	URL        string
	OccurredAt time.Time
	// Labels of a Breeze alert include alertId (one per alert, shared by its
	// transitions), ruleId and kind (the condition kind).
	Labels map[string]string
	// Settings are the channel's settings for this org (JSON). Empty means the
	// plugin should ask Host.Settings.
	Settings json.RawMessage
}

// SendResult says whether a notification got through.
type SendResult struct {
	Delivered bool
	Attempts  int
	Detail    string
}

// TestResult is the answer to "would these settings work?".
type TestResult struct {
	OK     bool
	Detail string
}

// AlertChannel delivers alert notifications.
type AlertChannel interface {
	Plugin
	Send(ctx context.Context, n Notification) (SendResult, error)
	Test(ctx context.Context, settings json.RawMessage) (TestResult, error)
}

// TargetSpec says what a scanner should look at.
type TargetSpec struct {
	Targets       []string // CIDRs or single addresses
	Ports         []int
	Concurrency   int
	RatePerSecond int
	Timeout       time.Duration // per probe
	Options       map[string]string
}

// Asset is one thing a scanner found.
type Asset struct {
	IP         string
	Hostname   string
	MAC        string
	Alive      bool
	OpenPorts  []int
	RTT        time.Duration
	Attributes map[string]string
}

// Scanner discovers assets. Scan calls emit for each asset as it is found and
// stops (returning emit's error) when emit fails.
type Scanner interface {
	Plugin
	Scan(ctx context.Context, spec TargetSpec, emit func(Asset) error) error
}

// RunRequest is one script run.
type RunRequest struct {
	Language string
	Body     string
	Args     []string
	Env      map[string]string
	Timeout  time.Duration // 0: until ctx ends
}

// ExitStatus ends every run.
type ExitStatus struct {
	Code     int
	TimedOut bool
}

// ScriptRuntime runs scripts of the languages it lists. Output goes to stdout
// and stderr as it is produced; cancelling ctx stops the run.
type ScriptRuntime interface {
	Plugin
	Languages(ctx context.Context) ([]string, error)
	Run(ctx context.Context, req RunRequest, stdout, stderr io.Writer) (ExitStatus, error)
}

// Metric is one telemetry value.
type Metric struct {
	Name   string
	Value  float64
	Unit   string
	Labels map[string]string
}

// Fact is one inventory fact (key/value).
type Fact struct {
	Key   string
	Value string
}

// Collection is what a collector returns per call.
type Collection struct {
	Metrics []Metric
	Facts   []Fact
}

// Collector adds telemetry and inventory facts.
type Collector interface {
	Plugin
	Collect(ctx context.Context) (Collection, error)
}
