package main

import (
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.CollectorConformance(t, func(*testing.T) sdk.Collector { return &Collector{} })
}
