// Command alertchannel is a template alert channel plugin: copy this folder,
// rename, and replace the body of Send and Test.
package main

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/breeze-rmm/breeze/sdk"
)

type settings struct {
	Target string `json:"target"`
}

// Channel is your alert channel. It keeps the Host the SDK hands it, to
// read its settings when a notification carries none.
type Channel struct{ host atomic.Pointer[sdk.Host] }

func (c *Channel) SetHost(h sdk.Host) { c.host.Store(&h) }

func (*Channel) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "my-channel", Version: "0.1.0"}, nil
}

func parse(raw json.RawMessage) (settings, error) {
	var s settings
	if err := json.Unmarshal(raw, &s); err != nil || s.Target == "" {
		return s, sdk.Invalidf("settings need a target")
	}
	return s, nil
}

func (c *Channel) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw := n.Settings
	if h := c.host.Load(); len(raw) == 0 && h != nil {
		var err error
		if raw, err = (*h).Settings(ctx); err != nil {
			return sdk.SendResult{}, err
		}
	}
	if _, err := parse(raw); err != nil {
		return sdk.SendResult{}, err
	}
	// Deliver n.Title / n.Message to the target here, honouring ctx.
	if err := ctx.Err(); err != nil {
		return sdk.SendResult{}, err
	}
	return sdk.SendResult{Delivered: true, Attempts: 1}, nil
}

func (*Channel) Test(_ context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	if _, err := parse(raw); err != nil {
		return sdk.TestResult{Detail: err.Error()}, nil
	}
	return sdk.TestResult{OK: true}, nil
}

func main() { sdk.ServeAlertChannel(&Channel{}) }
