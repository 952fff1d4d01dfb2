package main

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func fake(jsonOut, plainOut string, jsonErr, plainErr error) *Collector {
	return &Collector{timeout: time.Second, run: func(_ context.Context, args ...string) ([]byte, error) {
		if slices.Contains(args, "--output=json") {
			return []byte(jsonOut), jsonErr
		}
		return []byte(plainOut), plainErr
	}}
}

func fact(c sdk.Collection, key string) string {
	for _, f := range c.Facts {
		if f.Key == key {
			return f.Value
		}
	}
	return "<missing>"
}

func TestConformanceRealSystem(t *testing.T) {
	sdktest.CollectorConformance(t, func(*testing.T) sdk.Collector { return New() })
}

func TestConformanceWithFailedUnits(t *testing.T) {
	sdktest.CollectorConformance(t, func(*testing.T) sdk.Collector {
		return fake(`[{"unit":"nginx.service","load":"loaded","active":"failed","sub":"failed","description":"nginx"}]`, "", nil, nil)
	})
}

func TestJSON(t *testing.T) {
	c, err := fake(`[{"unit":"b.service"},{"unit":"a.mount"}]`, "", nil, nil).Collect(context.Background())
	if err != nil || c.Metrics[0].Value != 2 || fact(c, "systemd.failed_units") != "a.mount,b.service" {
		t.Fatalf("Collect = %+v, %v", c, err)
	}
}

func TestPlainFallback(t *testing.T) {
	plain := "● x.service loaded failed failed X thing\nsnap-y.mount loaded failed failed Y\n"
	c, err := fake("", plain, errors.New("unknown option --output"), nil).Collect(context.Background())
	if err != nil || c.Metrics[0].Value != 2 || fact(c, "systemd.failed_units") != "snap-y.mount,x.service" {
		t.Fatalf("Collect = %+v, %v", c, err)
	}
}

func TestNoSystemd(t *testing.T) {
	missing := errors.New(`exec: "systemctl": executable file not found in $PATH`)
	c, err := fake("", "", missing, missing).Collect(context.Background())
	if err != nil || len(c.Metrics) != 0 || fact(c, "systemd.available") != "false" {
		t.Fatalf("Collect without systemd = %+v, %v; want available=false and no error", c, err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	col := sdktest.Subprocess[sdk.Collector](t, ".", sdk.KindCollector, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := col.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v := fact(c, "systemd.available"); v != "true" && v != "false" {
		t.Fatalf("systemd.available = %q", v)
	}
}
