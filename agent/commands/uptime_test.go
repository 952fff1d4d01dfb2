package commands

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestUptime(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	e.Handle(context.Background(), cmd(t, "up", protocol.ActionUptime, nil, 30))
	r := f.w.next(t)
	var got protocol.UptimeResult
	if err := json.Unmarshal(r.Data, &got); err != nil || r.Status != protocol.ResultSucceeded || !strings.HasPrefix(r.Stdout, "up ") {
		t.Fatalf("%+v %v", r, err)
	}
	if got.Seconds == 0 {
		t.Fatalf("uptime 0: %s", r.Data)
	}
	// It agrees with the kernel's count where there is one.
	if raw, err := os.ReadFile("/proc/uptime"); err == nil {
		secs, _ := strconv.ParseFloat(strings.Fields(string(raw))[0], 64)
		if d := float64(got.Seconds) - secs; d < -5 || d > 5 {
			t.Fatalf("uptime %d s, /proc/uptime %.0f s", got.Seconds, secs)
		}
	}
}

func TestActionsAreRegistered(t *testing.T) {
	want := []string{protocol.ActionCollectInventory, protocol.ActionDiscover, protocol.ActionKillProcess,
		protocol.ActionListProcesses, protocol.ActionListServices, protocol.ActionReboot, protocol.ActionRestartService,
		protocol.ActionRunScript, protocol.ActionUninstallAgent, protocol.ActionUptime}
	slices.Sort(want)
	if got := Actions(); !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
}
