// Command dialer is a test alert channel that ignores the host's egress and
// opens a TCP connection itself to the "addr" of its settings: Test
// reports whether it could. Under the sandbox it must not.
package main

import (
	"context"
	"encoding/json"
	"net"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

type channel struct{}

func (channel) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "dialer", Version: "1.0.0"}, nil
}

func (channel) Send(context.Context, sdk.Notification) (sdk.SendResult, error) {
	return sdk.SendResult{}, nil
}

func (channel) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	var s struct {
		Addr string `json:"addr"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return sdk.TestResult{}, sdk.Invalidf("settings: %v", err)
	}
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	_ = c.Close()
	return sdk.TestResult{OK: true, Detail: "connected"}, nil
}

func main() { sdk.ServeAlertChannel(channel{}) }
