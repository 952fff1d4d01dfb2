// Command crashy is a test alert channel that exits (a crash) whenever it
// is asked to Test or Send.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/breeze-rmm/breeze/sdk"
)

type channel struct{}

func (channel) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "crashy", Version: "1.0.0"}, nil
}

func (channel) Send(context.Context, sdk.Notification) (sdk.SendResult, error) {
	os.Exit(3)
	return sdk.SendResult{}, nil
}

func (channel) Test(context.Context, json.RawMessage) (sdk.TestResult, error) {
	os.Exit(3)
	return sdk.TestResult{}, nil
}

func main() { sdk.ServeAlertChannel(channel{}) }
