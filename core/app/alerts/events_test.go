package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// onBothStores runs fn on a test server over SQLite, then PostgreSQL.
func onBothStores(t *testing.T, fn func(t *testing.T, ts *apitest.TestServer)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { fn(t, apitest.NewServerWith(t, apitest.Options{Postgres: pg})) })
	}
}

// ofRule keeps the alerts of one rule, counting those unresolved.
func ofRule(all []*domain.Alert, ruleID string) (out []*domain.Alert, open int) {
	for _, a := range all {
		if a.RuleID == ruleID {
			out = append(out, a)
			if a.State != domain.AlertResolved {
				open++
			}
		}
	}
	return out, open
}

// reload compiles the rules of ts's own alerts service (the one the ingest
// paths report to).
func reload(t *testing.T, ts *apitest.TestServer) *alerts.Service {
	t.Helper()
	if err := ts.Alerts.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ts.Alerts
}

func TestInventoryFactOpensAndClears(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "units")
		other, _ := ts.NewDevice(t, ts.Seed.A, 1, "outside") // org 1: outside the rules' scope
		units := newRule(t, ts, "inventory_fact", `{"source":"fact","plugin":"breeze.failedunits","key":"systemd.failed_count","op":">","value":"0"}`)
		telnet := newRule(t, ts, "inventory_fact", `{"source":"software","name":"Telnet","op":"installed"}`)
		svc := reload(t, ts)
		report := func(deviceID string, inv protocol.Inventory) {
			t.Helper()
			if err := ts.Agents.Inventory(ctx, deviceID, inv); err != nil {
				t.Fatal(err)
			}
			svc.Flush(ctx)
		}
		failed := func(n string) []protocol.PluginFact {
			return []protocol.PluginFact{{Plugin: "breeze.failedunits", Key: "systemd.available", Value: "true"},
				{Plugin: "breeze.failedunits", Key: "systemd.failed_count", Value: n}}
		}
		full := protocol.Inventory{Full: true, Facts: failed("2"), Software: []protocol.SoftwarePackage{{Name: "telnet", Version: "0.17", Source: "dpkg"}}}
		report(dev, full)
		report(other, full)
		all := alertsOf(t, ts, dev)
		if u, open := ofRule(all, units.ID); open != 1 || !strings.Contains(u[0].Message, "systemd.failed_count is 2") || u[0].Value != 2 {
			t.Fatalf("failed units: want one open alert, got %+v", u)
		}
		if s, open := ofRule(all, telnet.ID); open != 1 || !strings.Contains(s[0].Message, "telnet is installed") {
			t.Fatalf("telnet installed: want one open alert, got %+v", s)
		}
		if n := len(alertsOf(t, ts, other)); n != 0 {
			t.Fatalf("a device outside the scope got %d alerts", n)
		}
		// the same report again: nothing new
		report(dev, full)
		if n := len(alertsOf(t, ts, dev)); n != 2 {
			t.Fatalf("a repeated report made %d alerts, want 2", n)
		}
		// a diff without failed units clears that one; telnet (not in the
		// diff, so still installed) stays
		report(dev, protocol.Inventory{Facts: failed("0")})
		all = alertsOf(t, ts, dev)
		if u, open := ofRule(all, units.ID); open != 0 || u[0].ResolvedBy != domain.AlertActorSystem {
			t.Fatalf("no failed unit left: want the alert resolved by the system, got %+v", u)
		}
		if _, open := ofRule(all, telnet.ID); open != 1 {
			t.Fatal("telnet's alert resolved by a diff that left it installed")
		}
		// removed: cleared
		report(dev, protocol.Inventory{SoftwareRemoved: []protocol.SoftwarePackage{{Name: "telnet", Source: "dpkg"}}})
		if _, open := ofRule(alertsOf(t, ts, dev), telnet.ID); open != 0 {
			t.Fatal("telnet removed: its alert still stands")
		}
		// failing again: a new alert
		report(dev, protocol.Inventory{Facts: failed("1")})
		if u, open := ofRule(alertsOf(t, ts, dev), units.ID); len(u) != 2 || open != 1 {
			t.Fatalf("failing again: want a second alert, got %+v", u)
		}
	})
}

func TestPluginFailedOpensAndClears(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "plugins")
		anyPlugin := newRule(t, ts, "plugin_failed", `{}`)
		scanner := newRule(t, ts, "plugin_failed", `{"pluginId":"breeze.tcpscan"}`)
		svc := reload(t, ts)
		states := func(st ...protocol.PluginState) {
			t.Helper()
			if err := ts.Agents.PluginStates(ctx, dev, st); err != nil {
				t.Fatal(err)
			}
			svc.Flush(ctx)
		}
		units := func(state, why string) protocol.PluginState {
			return protocol.PluginState{ID: "breeze.failedunits", Version: "1.0.0", State: state, Error: why}
		}
		scan := protocol.PluginState{ID: "breeze.tcpscan", Version: "1.0.0", State: "running"}
		for range 3 { // reported again and again while it stays failed: one alert
			states(units("failed", "exit status 2"), scan)
		}
		all := alertsOf(t, ts, dev)
		if a, open := ofRule(all, anyPlugin.ID); len(a) != 1 || open != 1 || a[0].Message != "plugin breeze.failedunits failed: exit status 2" {
			t.Fatalf("want one open alert naming the plugin, got %+v", a)
		}
		if a, _ := ofRule(all, scanner.ID); len(a) != 0 {
			t.Fatalf("the rule on another plugin fired: %+v", a)
		}
		states(units("running", ""), scan)
		if a, open := ofRule(alertsOf(t, ts, dev), anyPlugin.ID); len(a) != 1 || open != 0 {
			t.Fatalf("running again: want the alert resolved, got %+v", a)
		}
	})
}

// runCommand stores a command of action on deviceID and hands the
// commands service the agent's result (the real result path).
func runCommand(t *testing.T, ts *apitest.TestServer, deviceID, action, scriptID, status string, exit int) {
	t.Helper()
	ctx := context.Background()
	c := &domain.Command{DeviceID: deviceID, Action: action, ScriptID: scriptID, Payload: json.RawMessage(`{}`), TimeoutSeconds: 60,
		ExpiresAt: ts.Clock.Now().Add(time.Hour)}
	if err := ts.Store.Commands().Create(ctx, domain.GlobalScope(), c); err != nil {
		t.Fatal(err)
	}
	res := protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: c.ID}, Status: status, ExitCode: &exit,
		StartedAt: ts.Clock.Now(), FinishedAt: ts.Clock.Now()}
	if err := ts.Remote.Commands.Result(ctx, deviceID, res); err != nil {
		t.Fatal(err)
	}
	ts.Alerts.Flush(ctx)
}

func TestCommandFailedOpensAndResolves(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "runner")
		anyCmd := newRule(t, ts, "command_failed", `{}`)
		script := domain.NewID()
		backup := newRule(t, ts, "command_failed", fmt.Sprintf(`{"action":"run_script","scriptId":%q,"autoResolveMinutes":30}`, script))
		reload(t, ts)

		runCommand(t, ts, dev, protocol.ActionRunScript, script, protocol.ResultFailed, 3)
		all := alertsOf(t, ts, dev)
		a, open := ofRule(all, anyCmd.ID)
		want := "run_script " + script + " failed: exit code 3"
		if open != 1 || a[0].Message != want || a[0].Value != 3 {
			t.Fatalf("want one open alert %q, got %+v", want, a)
		}
		if _, open := ofRule(all, backup.ID); open != 1 {
			t.Fatal("the rule filtered on the script did not fire")
		}
		// another action succeeding ends nothing; another script failing is
		// filtered out by the script rule
		runCommand(t, ts, dev, protocol.ActionUptime, "", protocol.ResultSucceeded, 0)
		runCommand(t, ts, dev, protocol.ActionRunScript, domain.NewID(), protocol.ResultFailed, 1)
		all = alertsOf(t, ts, dev)
		if a, open := ofRule(all, anyCmd.ID); len(a) != 1 || open != 1 {
			t.Fatalf("a success of something else resolved the alert, or a second failure opened another: %+v", a)
		}
		// the same script succeeding resolves the unfiltered rule's alert
		runCommand(t, ts, dev, protocol.ActionRunScript, script, protocol.ResultSucceeded, 0)
		if a, open := ofRule(alertsOf(t, ts, dev), anyCmd.ID); open != 0 || a[0].ResolvedBy != domain.AlertActorSystem {
			t.Fatalf("the script succeeded: want the alert resolved, got %+v", a)
		}
		// the script rule's alert also resolved at that success; a new
		// failure opens it again, and 30 minutes later the sweep ends it
		runCommand(t, ts, dev, protocol.ActionRunScript, script, protocol.ResultFailed, 4)
		if _, open := ofRule(alertsOf(t, ts, dev), backup.ID); open != 1 {
			t.Fatal("the script failed again: no alert")
		}
		ts.Clock.Advance(29 * time.Minute)
		sweep(t, ts.Alerts)
		if _, open := ofRule(alertsOf(t, ts, dev), backup.ID); open != 1 {
			t.Fatal("auto-resolved before its 30 minutes")
		}
		ts.Clock.Advance(2 * time.Minute)
		sweep(t, ts.Alerts)
		if a, open := ofRule(alertsOf(t, ts, dev), backup.ID); open != 0 || len(a) != 2 {
			t.Fatalf("30 minutes on: want the alert auto-resolved, got %+v", a)
		}
	})
}

// Two nodes judging the same report open one alert between them.
func TestEventJudgedOnTwoNodesOpensOnce(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "twice")
		r := newRule(t, ts, "plugin_failed", `{}`)
		var nodes []*alerts.Service
		for range 2 {
			svc := newService(t, ts.Store, ts.Clock, nil)
			if err := svc.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			nodes = append(nodes, svc)
		}
		states := []domain.PluginRunState{{PluginID: "p1", Version: "1", State: "failed"}}
		for _, n := range nodes {
			n.Intake().PluginStatesStored(ctx, dev, ts.Clock.Now(), states)
		}
		for _, n := range nodes {
			n.Flush(ctx)
		}
		if a, _ := ofRule(alertsOf(t, ts, dev), r.ID); len(a) != 1 {
			t.Fatalf("two nodes judging one report: %d alerts, want 1", len(a))
		}
	})
}

// A metric flapping around its threshold, through the agents' real
// heartbeat path, opens one alert, not one per swing.
func TestFlappingHeartbeatsOpenOneAlert(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "flappy")
		r := newRule(t, ts, "metric_threshold", `{"metric":"cpu","threshold":90,"clearThreshold":70,"durationSeconds":60}`)
		svc := reload(t, ts)
		t0 := ts.Clock.Now().Add(-2 * time.Hour)
		beat := func(i int, v float64) {
			ts.Agents.Heartbeat(ctx, dev, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat},
				At: t0.Add(time.Duration(i) * 30 * time.Second), CPUPercent: v})
			svc.Flush(ctx)
		}
		beat(0, 10) // warms the device up
		for i := 1; i <= 100; i++ {
			v := 95.0
			if i%4 == 0 {
				v = 85 // below the threshold, above the clear level
			}
			beat(i, v)
		}
		if a, open := ofRule(alertsOf(t, ts, dev), r.ID); len(a) != 1 || open != 1 {
			t.Fatalf("flapping between 85 and 95 with clear at 70: %d alerts (%d open), want 1 open", len(a), open)
		}
		beat(101, 50)
		if a, open := ofRule(alertsOf(t, ts, dev), r.ID); len(a) != 1 || open != 0 {
			t.Fatalf("below the clear level: want it resolved, got %+v", a)
		}
	})
}

// Network and plugin metrics are read from the heartbeat like the others.
func TestNetworkAndPluginMetrics(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "metrics")
	rx := newRule(t, ts, "metric_threshold", `{"metric":"net_rx","interface":"eth1","threshold":1000000,"durationSeconds":30}`)
	busiest := newRule(t, ts, "metric_threshold", `{"metric":"net_tx","threshold":500000,"durationSeconds":30}`)
	plug := newRule(t, ts, "metric_threshold", `{"metric":"plugin","plugin":"breeze.failedunits","pluginMetric":"systemd.failed_units","threshold":0,"durationSeconds":30}`)
	svc := reload(t, ts)
	t0 := ts.Clock.Now().Add(-time.Hour)
	for i := range 4 {
		ts.Agents.Heartbeat(ctx, dev, protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, At: t0.Add(time.Duration(i) * 30 * time.Second),
			Network: []protocol.NetRate{{Interface: "eth0", RxBps: 5e6, TxBps: 1e3}, {Interface: "eth1", RxBps: 2e6, TxBps: 9e5}},
			PluginMetrics: []protocol.PluginMetric{{Plugin: "other", Name: "systemd.failed_units", Value: 9},
				{Plugin: "breeze.failedunits", Name: "systemd.failed_units", Value: 2}}})
		svc.Flush(ctx)
	}
	all := alertsOf(t, ts, dev)
	for _, c := range []struct {
		rule *domain.AlertRule
		msg  string
	}{{rx, "net_rx eth1 2e+06 > 1e+06"}, {busiest, "net_tx 9e+05 > 5e+05"}, {plug, "breeze.failedunits systemd.failed_units 2 > 0"}} {
		if a, open := ofRule(all, c.rule.ID); open != 1 || !strings.HasPrefix(a[0].Message, c.msg) {
			t.Errorf("want one open alert %q, got %+v", c.msg, a)
		}
	}
}
