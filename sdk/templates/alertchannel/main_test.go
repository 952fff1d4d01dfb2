package main

import (
	"encoding/json"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return &Channel{} }, sdktest.AlertChannelFixture{
		ValidSettings: json.RawMessage(`{"target":"ops"}`), InvalidSettings: json.RawMessage(`{}`),
	})
}
