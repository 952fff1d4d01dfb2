package main

import (
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.ScannerConformance(t, func(*testing.T) sdk.Scanner { return &Scanner{} }, sdktest.ScannerFixture{
		Target: sdk.TargetSpec{Targets: []string{"127.0.0.1"}}, Invalid: sdk.TargetSpec{Targets: []string{"nope"}},
	})
}
