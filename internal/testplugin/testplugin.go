// Package testplugin is what the test plugins under testdata/ share: a
// collector or an alert channel made of plain functions, the null plugin's
// do-nothing implementations, and their environment knobs. Each test plugin
// keeps only what makes it misbehave.
package testplugin

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// Collector is an sdk.Collector named Name (version 0.0.1); a nil OnCollect
// collects nothing.
type Collector struct {
	Name      string
	OnCollect func(context.Context) (sdk.Collection, error)
}

// Info implements sdk.Plugin.
func (c Collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: c.Name, Version: "0.0.1"}, nil
}

// Collect implements sdk.Collector.
func (c Collector) Collect(ctx context.Context) (sdk.Collection, error) {
	if c.OnCollect == nil {
		return sdk.Collection{}, nil
	}
	return c.OnCollect(ctx)
}

// AlertChannel is an sdk.AlertChannel named Name at Version; a nil OnSend
// or OnTest answers with the zero result.
type AlertChannel struct {
	Name, Version string
	OnSend        func(context.Context, sdk.Notification) (sdk.SendResult, error)
	OnTest        func(context.Context, json.RawMessage) (sdk.TestResult, error)
}

// Info implements sdk.Plugin.
func (a AlertChannel) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: a.Name, Version: a.Version}, nil
}

// Send implements sdk.AlertChannel.
func (a AlertChannel) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	if a.OnSend == nil {
		return sdk.SendResult{}, nil
	}
	return a.OnSend(ctx, n)
}

// Test implements sdk.AlertChannel.
func (a AlertChannel) Test(ctx context.Context, settings json.RawMessage) (sdk.TestResult, error) {
	if a.OnTest == nil {
		return sdk.TestResult{}, nil
	}
	return a.OnTest(ctx, settings)
}

// EnvDuration is the duration in the environment variable name, or def
// when it is unset or not a duration.
func EnvDuration(name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(os.Getenv(name))
	if err != nil {
		return def
	}
	return d
}
