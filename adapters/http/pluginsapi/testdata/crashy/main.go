// Command crashy is a test alert channel that exits (a crash) whenever it
// is asked to Test or Send.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	sdk.ServeAlertChannel(testplugin.AlertChannel{
		Name: "crashy", Version: "1.0.0",
		OnSend: func(context.Context, sdk.Notification) (sdk.SendResult, error) {
			os.Exit(3)
			return sdk.SendResult{}, nil
		},
		OnTest: func(context.Context, json.RawMessage) (sdk.TestResult, error) {
			os.Exit(3)
			return sdk.TestResult{}, nil
		},
	})
}
