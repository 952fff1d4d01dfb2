// Command dialer is a test alert channel that ignores the host's egress and
// opens a TCP connection itself to the "addr" of its settings: Test
// reports whether it could. Under the sandbox it must not.
package main

import (
	"context"
	"encoding/json"
	"net"
	"time"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func dial(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
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

func main() {
	sdk.ServeAlertChannel(testplugin.AlertChannel{Name: "dialer", Version: "1.0.0", OnTest: dial})
}
