// Command hostsettings is a test alert channel whose Test answers what
// Host.Settings returns during the call (the settings argument ignored).
package main

import (
	"context"
	"encoding/json"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

type channel struct {
	testplugin.AlertChannel
	host sdk.Host
}

func (c *channel) SetHost(h sdk.Host) { c.host = h }

func (c *channel) Test(ctx context.Context, _ json.RawMessage) (sdk.TestResult, error) {
	raw, err := c.host.Settings(ctx)
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: true, Detail: string(raw)}, nil
}

func main() {
	sdk.ServeAlertChannel(&channel{AlertChannel: testplugin.AlertChannel{Name: "hostsettings", Version: "1.0.0"}})
}
