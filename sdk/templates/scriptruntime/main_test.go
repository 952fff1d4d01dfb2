package main

import (
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.ScriptRuntimeConformance(t, func(*testing.T) sdk.ScriptRuntime { return &Runtime{} }, sdktest.ScriptRuntimeFixture{
		Language: "say", Hello: "say hello", Exit3: "exit 3", Stderr: "warn oops", Forever: "loop",
	})
}
