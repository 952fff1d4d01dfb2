package commands

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestDiscover(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	ctx := context.Background()
	payload := protocol.DiscoverPayload{Plugin: "breeze.tcpscan", Targets: []string{"127.0.0.1/32"}, Ports: []int{22}}

	// Without plugins the action says so.
	e.Handle(ctx, cmd(t, "d0", protocol.ActionDiscover, payload, 20))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "no plugins") {
		t.Fatalf("%+v", r)
	}

	var got protocol.DiscoverPayload
	e.d.Discover = func(_ context.Context, p protocol.DiscoverPayload) (any, string, error) {
		got = p
		if p.Plugin != "breeze.tcpscan" {
			return nil, "", errors.New("not a running scanner plugin on this agent")
		}
		return []map[string]any{{"ip": "127.0.0.1", "openPorts": []int{22}}}, "1 assets", nil
	}
	e.Handle(ctx, cmd(t, "d1", protocol.ActionDiscover, payload, 20))
	r := f.w.next(t)
	var assets []map[string]any
	if err := json.Unmarshal(r.Data, &assets); err != nil || r.Status != protocol.ResultSucceeded || len(assets) != 1 || r.Stdout != "1 assets" {
		t.Fatalf("%+v %v", r, err)
	}
	if got.Targets[0] != "127.0.0.1/32" || got.Ports[0] != 22 {
		t.Fatalf("payload = %+v", got)
	}
	payload.Plugin = "acme.other"
	e.Handle(ctx, cmd(t, "d2", protocol.ActionDiscover, payload, 20))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "not a running scanner") {
		t.Fatalf("%+v", r)
	}
}
