package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

const (
	tPartner = "00000000-0000-7000-8000-0000000000a1"
	tOrg     = "00000000-0000-7000-8000-0000000000a2"
	tSite    = "00000000-0000-7000-8000-0000000000a3"
	tDevice  = "00000000-0000-7000-8000-0000000000a4"
)

func cpuRule(id, params string) *domain.AlertRule {
	return &domain.AlertRule{ID: id, PartnerID: tPartner, OrgID: tOrg, Name: id, Enabled: true, Severity: domain.SeverityCritical,
		Kind: "metric_threshold", Params: json.RawMessage(params), ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{tOrg}}
}

// warmEvaluator returns an evaluator with rules compiled and the device warm.
func warmEvaluator(t testing.TB, rules ...*domain.AlertRule) *Evaluator {
	e := newEvaluator(1 << 16)
	rs, errs := compile(1, rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e.rules.Store(rs)
	e.install(tDevice, placement{tPartner, tOrg, tSite, ""}, nil)
	return e
}

func drain(e *Evaluator) []transition {
	var out []transition
	for {
		select {
		case t := <-e.out:
			out = append(out, t)
		default:
			return out
		}
	}
}

func TestThresholdWithDuration(t *testing.T) {
	e := warmEvaluator(t, cpuRule("r1", `{"metric":"cpu","comparator":">","threshold":90,"durationSeconds":600}`))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ { // 9 minutes above: not yet
		e.Observe(context.Background(), tDevice, t0.Add(time.Duration(i)*time.Minute), &protocol.Heartbeat{CPUPercent: 95})
	}
	if got := drain(e); len(got) != 0 {
		t.Fatalf("opened before the duration: %+v", got)
	}
	// a dip below resets the window
	e.Observe(context.Background(), tDevice, t0.Add(10*time.Minute), &protocol.Heartbeat{CPUPercent: 50})
	for i := 11; i <= 21; i++ {
		e.Observe(context.Background(), tDevice, t0.Add(time.Duration(i)*time.Minute), &protocol.Heartbeat{CPUPercent: 95})
	}
	got := drain(e)
	if len(got) != 1 || !got[0].open || !got[0].at.Equal(t0.Add(21*time.Minute)) || !strings.Contains(got[0].message, "cpu 95 > 90") {
		t.Fatalf("want one opening at minute 21, got %+v", got)
	}
	e.Observe(context.Background(), tDevice, t0.Add(22*time.Minute), &protocol.Heartbeat{CPUPercent: 10})
	if got := drain(e); len(got) != 1 || got[0].open {
		t.Fatalf("want one resolution, got %+v", got)
	}
}

func TestHysteresisFlapping(t *testing.T) {
	e := warmEvaluator(t, cpuRule("r1", `{"metric":"cpu","threshold":90,"durationSeconds":60,"clearThreshold":80}`))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ { // flaps 85 ↔ 95 around the threshold
		v := 95.0
		if i%2 == 1 {
			v = 85
		}
		e.Observe(context.Background(), tDevice, t0.Add(time.Duration(i)*time.Minute), &protocol.Heartbeat{CPUPercent: v})
	}
	got := drain(e)
	opens := 0
	for _, tr := range got {
		if tr.open {
			opens++
		}
	}
	if opens > 1 || len(got) > 1 {
		t.Fatalf("a flapping metric made %d transitions (%d openings), want at most one", len(got), opens)
	}
	// with samples every 30 s the breach lasts long enough once; then it never clears above 80
	e2 := warmEvaluator(t, cpuRule("r2", `{"metric":"cpu","threshold":90,"durationSeconds":60,"clearThreshold":80}`))
	for i := 0; i < 200; i++ {
		v := 95.0
		if i%4 == 3 {
			v = 85
		}
		e2.Observe(context.Background(), tDevice, t0.Add(time.Duration(i)*30*time.Second), &protocol.Heartbeat{CPUPercent: v})
	}
	got = drain(e2)
	if len(got) != 1 || !got[0].open {
		t.Fatalf("flapping between 85 and 95 with clear at 80: %d transitions, want 1 opening", len(got))
	}
	e2.Observe(context.Background(), tDevice, t0.Add(200*time.Minute), &protocol.Heartbeat{CPUPercent: 79})
	if got = drain(e2); len(got) != 1 || got[0].open {
		t.Fatalf("below the clear threshold: want one resolution, got %+v", got)
	}
}

func TestDiskPerMountAndScope(t *testing.T) {
	disk := cpuRule("d1", `{"metric":"disk","mount":"/var","threshold":90,"durationSeconds":1}`)
	other := cpuRule("d2", `{"metric":"disk","threshold":90,"durationSeconds":1}`)
	other.ExcludeDeviceIDs = []string{tDevice}
	e := warmEvaluator(t, disk, other)
	hb := &protocol.Heartbeat{Disks: []protocol.DiskUsage{{Mount: "/", Total: 100, Used: 10}, {Mount: "/var", Total: 100, Used: 95}}}
	t0 := time.Now()
	e.Observe(context.Background(), tDevice, t0, hb)
	e.Observe(context.Background(), tDevice, t0.Add(time.Second), hb)
	got := drain(e)
	if len(got) != 1 || got[0].rule.ID != "d1" || got[0].value != 95 {
		t.Fatalf("want the /var rule only (the other excludes the device), got %+v", got)
	}
}

func TestUnknownDeviceIsWarmedNotJudged(t *testing.T) {
	e := newEvaluator(16)
	e.Observe(context.Background(), tDevice, time.Now(), &protocol.Heartbeat{CPUPercent: 99})
	e.Observe(context.Background(), tDevice, time.Now(), &protocol.Heartbeat{CPUPercent: 99})
	if len(e.warm) != 1 {
		t.Fatalf("an unknown device must be queued for warm-up once, queued %d", len(e.warm))
	}
}

func TestConditionValidation(t *testing.T) {
	for _, c := range []struct{ kind, params, want string }{
		{"metric_threshold", `{"metric":"gpu","threshold":1,"durationSeconds":60}`, "unknown metric"},
		{"metric_threshold", `{"metric":"cpu","threshold":1,"durationSeconds":0}`, "durationSeconds"},
		{"metric_threshold", `{"metric":"cpu","threshold":1e999,"durationSeconds":60}`, "params"},
		{"metric_threshold", `{"metric":"cpu","threshold":90,"durationSeconds":60,"clearThreshold":95}`, "healthy side"},
		{"metric_threshold", `{"metric":"cpu","comparator":"==","threshold":1,"durationSeconds":60}`, "comparator"},
		{"device_offline", `{"minutes":0}`, "minutes"},
		{"nope", `{}`, "unknown condition kind"},
	} {
		_, _, err := conditions.Compile(c.kind, json.RawMessage(c.params))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want an error about %q", c.kind, c.params, err, c.want)
		}
	}
}

// BenchmarkObserve50Rules measures one heartbeat judged against 50 rules
// in the device's scope.
func BenchmarkObserve50Rules(b *testing.B) {
	metrics := []string{`"cpu"`, `"memory"`, `"disk","mount":"/"`, `"load1"`, `"disk"`}
	var rules []*domain.AlertRule
	for i := 0; i < 50; i++ {
		rules = append(rules, cpuRule(fmt.Sprintf("r%02d", i),
			fmt.Sprintf(`{"metric":%s,"threshold":%d,"durationSeconds":600,"clearThreshold":%d}`, metrics[i%5], 80+i%15, 50)))
	}
	e := warmEvaluator(b, rules...)
	hb := &protocol.Heartbeat{CPUPercent: 42, MemoryTotal: 16 << 30, MemoryUsed: 9 << 30, Load1: 1.5,
		Disks: []protocol.DiskUsage{{Mount: "/", Total: 500 << 30, Used: 200 << 30}, {Mount: "/home", Total: 1 << 40, Used: 1 << 39}}}
	ctx := context.Background()
	t0 := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Observe(ctx, tDevice, t0.Add(time.Duration(i)*time.Second), hb)
	}
}

// BenchmarkObserve50RulesMixed is BenchmarkObserve50Rules with network
// and collector plugin metrics among the rules.
func BenchmarkObserve50RulesMixed(b *testing.B) {
	metrics := []string{`"cpu"`, `"memory"`, `"disk","mount":"/"`, `"net_rx"`, `"net_tx","interface":"eth0"`,
		`"plugin","plugin":"breeze.failedunits","pluginMetric":"systemd.failed_units"`, `"load1"`, `"disk"`, `"plugin","plugin":"x","pluginMetric":"absent"`, `"load5"`}
	var rules []*domain.AlertRule
	for i := 0; i < 50; i++ {
		rules = append(rules, cpuRule(fmt.Sprintf("r%02d", i),
			fmt.Sprintf(`{"metric":%s,"threshold":%d,"durationSeconds":600}`, metrics[i%len(metrics)], 80+i%15)))
	}
	e := warmEvaluator(b, rules...)
	hb := &protocol.Heartbeat{CPUPercent: 42, MemoryTotal: 16 << 30, MemoryUsed: 9 << 30, Load1: 1.5,
		Disks:         []protocol.DiskUsage{{Mount: "/", Total: 500 << 30, Used: 200 << 30}, {Mount: "/home", Total: 1 << 40, Used: 1 << 39}},
		Network:       []protocol.NetRate{{Interface: "lo", RxBps: 10, TxBps: 10}, {Interface: "eth0", RxBps: 1000, TxBps: 500}},
		PluginMetrics: []protocol.PluginMetric{{Plugin: "breeze.failedunits", Name: "systemd.failed_units", Value: 0}, {Plugin: "y", Name: "z", Value: 1}}}
	ctx := context.Background()
	t0 := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Observe(ctx, tDevice, t0.Add(time.Duration(i)*time.Second), hb)
	}
}

// Every default rule compiles, and its params are already normalised.
func TestTemplatesCompile(t *testing.T) {
	seen := map[string]bool{}
	for _, tpl := range Templates {
		_, norm, err := conditions.Compile(tpl.Kind, tpl.Params)
		if err != nil {
			t.Fatalf("template %s: %v", tpl.ID, err)
		}
		var a, b any
		_ = json.Unmarshal(norm, &a)
		_ = json.Unmarshal(tpl.Params, &b)
		if fmt.Sprint(a) != fmt.Sprint(b) || seen[tpl.ID] || seen[tpl.Name] || !domain.ValidSeverity(tpl.Severity) {
			t.Fatalf("template %s: params %s normalise to %s, or a duplicate id or name, or a bad severity", tpl.ID, tpl.Params, norm)
		}
		seen[tpl.ID], seen[tpl.Name] = true, true
	}
}
