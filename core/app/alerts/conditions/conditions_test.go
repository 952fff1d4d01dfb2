package conditions

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func TestValidation(t *testing.T) {
	for _, c := range []struct{ kind, params, want string }{
		{"metric_threshold", `{"metric":"gpu","threshold":1,"durationSeconds":60}`, "unknown metric"},
		{"metric_threshold", `{"metric":"cpu","threshold":1,"durationSeconds":0}`, "durationSeconds"},
		{"metric_threshold", `{"metric":"cpu","threshold":NaN,"durationSeconds":60}`, "params"},
		{"metric_threshold", `{"metric":"cpu","threshold":"NaN","durationSeconds":60}`, "params"},
		{"metric_threshold", `{"metric":"cpu","mount":"/","threshold":1,"durationSeconds":60}`, "mount is not a parameter"},
		{"metric_threshold", `{"metric":"disk","interface":"eth0","threshold":1,"durationSeconds":60}`, "interface is not a parameter"},
		{"metric_threshold", `{"metric":"net_rx","plugin":"x","threshold":1,"durationSeconds":60}`, "plugin is not a parameter"},
		{"metric_threshold", `{"metric":"plugin","threshold":1,"durationSeconds":60}`, "not a plugin id"},
		{"metric_threshold", `{"metric":"plugin","plugin":"Bad Id","pluginMetric":"m","threshold":1,"durationSeconds":60}`, "not a plugin id"},
		{"metric_threshold", `{"metric":"plugin","plugin":"breeze.x","threshold":1,"durationSeconds":60}`, "pluginMetric"},
		{"metric_threshold", `{"metric":"plugin","plugin":"breeze.x","pluginMetric":"a\u0000b","threshold":1,"durationSeconds":60}`, "pluginMetric"},
		{"inventory_fact", `{"source":"registry"}`, "source must be"},
		{"inventory_fact", `{"source":"fact","key":"k","op":">","value":"1"}`, "not a plugin id"},
		{"inventory_fact", `{"source":"fact","plugin":"p","op":">","value":"1"}`, "key names"},
		{"inventory_fact", `{"source":"fact","plugin":"p","key":"k","op":"~","value":"1"}`, "op must be"},
		{"inventory_fact", `{"source":"fact","plugin":"p","key":"k","op":">","value":"many"}`, "finite number"},
		{"inventory_fact", `{"source":"inventory","key":"bios.vendor","op":"==","value":"x"}`, "unknown inventory field"},
		{"inventory_fact", `{"source":"software","op":"installed"}`, "name is the package"},
		{"inventory_fact", `{"source":"software","name":"x","op":">"}`, "installed or missing"},
		{"command_failed", `{"action":"format_disk"}`, "unknown action"},
		{"command_failed", `{"scriptId":"../x"}`, "scriptId"},
		{"command_failed", `{"autoResolveMinutes":-1}`, "autoResolveMinutes"},
		{"plugin_failed", `{"pluginId":"UPPER"}`, "not a plugin id"},
		{"plugin_failed", `{"plugin":"x"}`, "params"},
		{"asset_new", `{"autoResolveMinutes":43201}`, "autoResolveMinutes"},
		{"asset_new", `{"trackedOnly":true}`, "params"},
		{"asset_gone", `{"includeBack":true}`, "params"},
		{"asset_gone", `{"autoResolveMinutes":-1}`, "autoResolveMinutes"},
	} {
		_, _, err := Compile(c.kind, json.RawMessage(c.params))
		if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want an error about %q", c.kind, c.params, err, c.want)
		}
	}
}

func TestEveryKindRegistered(t *testing.T) {
	want := []string{"asset_gone", "asset_new", "command_failed", "device_offline", "inventory_fact", "metric_threshold", "plugin_failed"}
	if got := strings.Join(Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("kinds %s, want %s", got, strings.Join(want, ","))
	}
}

func judge(t *testing.T, kind, params string, ev *Event, standing *domain.Alert) Verdict {
	t.Helper()
	c, _, err := Compile(kind, json.RawMessage(params))
	if err != nil {
		t.Fatal(err)
	}
	return c.(Evented).Judge(ev, standing)
}

func TestFactOps(t *testing.T) {
	inv := &protocol.Inventory{OS: &protocol.OSInfo{Name: "linux", Version: "22.04"}, CPU: &protocol.CPUInfo{Cores: 8},
		Facts: []protocol.PluginFact{{Plugin: "p", Key: "units", Value: "a.service,nginx.service"}, {Plugin: "p", Key: "n", Value: " 3 "},
			{Plugin: "p", Key: "state", Value: "stopped"}}}
	ev := &Event{Kind: EventInventory, Inventory: inv}
	for _, c := range []struct {
		params string
		open   bool
	}{
		{`{"source":"fact","plugin":"p","key":"n","op":">","value":"2"}`, true},
		{`{"source":"fact","plugin":"p","key":"n","op":">=","value":"4"}`, false},
		{`{"source":"fact","plugin":"p","key":"n","op":"==","value":"3.0"}`, true},
		{`{"source":"fact","plugin":"p","key":"units","op":"contains","value":"nginx.service"}`, true},
		{`{"source":"fact","plugin":"p","key":"units","op":"!contains","value":"nginx.service"}`, false},
		{`{"source":"fact","plugin":"p","key":"state","op":"==","value":"stopped"}`, true},
		{`{"source":"fact","plugin":"p","key":"state","op":">","value":"1"}`, false},    // not a number: no match
		{`{"source":"fact","plugin":"q","key":"n","op":">","value":"0"}`, false},        // another plugin's fact
		{`{"source":"fact","plugin":"p","key":"missing","op":"!=","value":"x"}`, false}, // absent never matches
		{`{"source":"inventory","key":"os.version","op":"==","value":"22.04"}`, true},
		{`{"source":"inventory","key":"cpu.cores","op":"<","value":"4"}`, false},
		{`{"source":"software","name":"x","op":"missing"}`, true},
	} {
		v := judge(t, "inventory_fact", c.params, ev, nil)
		if v.Open != c.open || v.Clear == c.open {
			t.Errorf("%s: verdict %+v, want open=%v (and clear the opposite)", c.params, v, c.open)
		}
	}
}

func TestCommandFailedJudge(t *testing.T) {
	exit := 2
	failed := &domain.Command{Action: "uptime", Status: domain.CommandFailed, ExitCode: &exit}
	v := judge(t, "command_failed", `{}`, &Event{Kind: EventCommand, Command: failed}, nil)
	if !v.Open || v.Message != "uptime failed: exit code 2" {
		t.Fatalf("failed: %+v", v)
	}
	timedOut := &domain.Command{Action: "uptime", Status: domain.CommandTimedOut, Error: "no result from the agent"}
	if v := judge(t, "command_failed", `{}`, &Event{Command: timedOut}, nil); !v.Open || v.Message != "uptime failed: no result from the agent" {
		t.Fatalf("timed out: %+v", v)
	}
	for _, st := range []domain.CommandStatus{domain.CommandExpired, domain.CommandCancelled} {
		if v := judge(t, "command_failed", `{}`, &Event{Command: &domain.Command{Action: "uptime", Status: st}}, nil); v.Open || v.Clear {
			t.Fatalf("%s is no failure: %+v", st, v)
		}
	}
	standing := &domain.Alert{Message: "uptime failed: exit code 2"}
	ok := &domain.Command{Action: "uptime", Status: domain.CommandSucceeded}
	if v := judge(t, "command_failed", `{}`, &Event{Command: ok}, standing); !v.Clear {
		t.Fatalf("the same action succeeded: %+v", v)
	}
	other := &domain.Command{Action: "reboot", Status: domain.CommandSucceeded}
	if v := judge(t, "command_failed", `{}`, &Event{Command: other}, standing); v.Clear {
		t.Fatalf("another action's success cleared it: %+v", v)
	}
	if v := judge(t, "command_failed", `{"action":"reboot"}`, &Event{Command: failed}, nil); v.Open {
		t.Fatalf("filtered out, yet opened: %+v", v)
	}
}

// The hot path reads every metric without allocating.
func TestMetricReadsDoNotAllocate(t *testing.T) {
	hb := &protocol.Heartbeat{CPUPercent: 50, MemoryTotal: 100, MemoryUsed: 50, Disks: []protocol.DiskUsage{{Mount: "/", Total: 10, Used: 5}},
		Network:       []protocol.NetRate{{Interface: "eth0", RxBps: 1, TxBps: 2}},
		PluginMetrics: []protocol.PluginMetric{{Plugin: "p", Name: "m", Value: 3}}}
	var checks []Sampled
	for _, params := range []string{`{"metric":"cpu"`, `{"metric":"memory"`, `{"metric":"disk","mount":"/"`, `{"metric":"net_rx"`,
		`{"metric":"net_tx","interface":"eth0"`, `{"metric":"plugin","plugin":"p","pluginMetric":"m"`, `{"metric":"load15"`} {
		c, _, err := Compile("metric_threshold", json.RawMessage(params+`,"threshold":1,"durationSeconds":1}`))
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, c.(Sampled))
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, c := range checks {
			if _, _, _, ok := c.Check(hb); !ok {
				panic("metric not found")
			}
		}
	}); n != 0 {
		t.Fatalf("%v allocations per sample", n)
	}
}

func TestAssetConditions(t *testing.T) {
	ev := func(kind domain.AssetEventKind, state domain.AssetState) *Event {
		return &Event{Kind: EventAsset, DeviceID: "d", Asset: &domain.AssetAlert{Kind: kind, IP: "10.0.0.7", MAC: "aa:bb:cc:dd:ee:ff",
			Vendor: "Acme", Hostname: "<b>x</b>\x1b[31m" + strings.Repeat("n", 200), State: state}}
	}
	v := judge(t, "asset_new", `{}`, ev(domain.AssetEventNew, domain.AssetCandidate), nil)
	if !v.Open || !strings.HasPrefix(v.Message, "new host 10.0.0.7 (aa:bb:cc:dd:ee:ff, Acme, <b>x</b>[31mnnn") ||
		strings.ContainsRune(v.Message, 0x1b) || len(v.Message) > 200 {
		t.Fatalf("asset_new on new: %+v", v)
	}
	if v := judge(t, "asset_new", `{}`, ev(domain.AssetEventBack, domain.AssetCandidate), nil); v.Open {
		t.Fatalf("asset_new on back without includeBack: %+v", v)
	}
	if v := judge(t, "asset_new", `{"includeBack":true}`, ev(domain.AssetEventBack, domain.AssetCandidate), nil); !v.Open {
		t.Fatalf("asset_new on back with includeBack: %+v", v)
	}
	if v := judge(t, "asset_gone", `{"trackedOnly":true}`, ev(domain.AssetEventGone, domain.AssetCandidate), nil); v.Open {
		t.Fatalf("trackedOnly on a candidate: %+v", v)
	}
	v = judge(t, "asset_gone", `{"trackedOnly":true}`, ev(domain.AssetEventGone, domain.AssetTracked), nil)
	if !v.Open || !strings.HasPrefix(v.Message, "host 10.0.0.7 (") || !strings.Contains(v.Message, "is gone from the network") {
		t.Fatalf("asset_gone on a tracked host: %+v", v)
	}
	standing := &domain.Alert{Message: v.Message}
	if v := judge(t, "asset_gone", `{}`, ev(domain.AssetEventBack, domain.AssetTracked), standing); !v.Clear {
		t.Fatalf("the host back does not clear: %+v", v)
	}
	other := ev(domain.AssetEventBack, domain.AssetTracked)
	other.Asset.IP = "10.0.0.70" // a prefix of the standing one's IP must not clear it
	if v := judge(t, "asset_gone", `{}`, other, standing); v.Clear {
		t.Fatalf("another host's return cleared it: %+v", v)
	}
}
