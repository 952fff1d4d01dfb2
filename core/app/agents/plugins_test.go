package agents

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestSampleKeepsFinitePluginMetrics(t *testing.T) {
	hb := protocol.Heartbeat{PluginMetrics: []protocol.PluginMetric{
		{Plugin: "failedunits", Name: "systemd_failed_units", Value: 2},
		{Plugin: "bad", Name: "nan", Value: math.NaN()},
		{Plugin: "bad", Name: "inf", Value: math.Inf(1)},
		{Plugin: "bad", Name: strings.Repeat("n", 201), Value: 1},
	}}
	m := sampleOf("d", time.Now(), hb)
	var detail struct {
		Plugins []protocol.PluginMetric `json:"plugins"`
	}
	if err := json.Unmarshal([]byte(m.Detail), &detail); err != nil {
		t.Fatalf("detail %q: %v", m.Detail, err)
	}
	if len(detail.Plugins) != 1 || detail.Plugins[0].Name != "systemd_failed_units" || detail.Plugins[0].Value != 2 {
		t.Fatalf("plugin metrics kept: %+v", detail.Plugins)
	}
	many := make([]protocol.PluginMetric, maxPluginMetrics+50)
	for i := range many {
		many[i] = protocol.PluginMetric{Plugin: "p", Name: "m", Value: float64(i)}
	}
	m = sampleOf("d", time.Now(), protocol.Heartbeat{PluginMetrics: many})
	_ = json.Unmarshal([]byte(m.Detail), &detail)
	if len(detail.Plugins) != maxPluginMetrics {
		t.Fatalf("kept %d plugin metrics, want the cap %d", len(detail.Plugins), maxPluginMetrics)
	}
}

func TestInventoryFactsReplacedByDiff(t *testing.T) {
	doc := protocol.Inventory{Facts: []protocol.PluginFact{{Plugin: "p", Key: "a", Value: "1"}}}
	applyDiff(&doc, &protocol.Inventory{}) // no facts in the diff: kept
	if len(doc.Facts) != 1 {
		t.Fatalf("facts dropped by a diff without facts: %+v", doc.Facts)
	}
	applyDiff(&doc, &protocol.Inventory{Facts: []protocol.PluginFact{{Plugin: "p", Key: "b", Value: "2"}}})
	if len(doc.Facts) != 1 || doc.Facts[0].Key != "b" {
		t.Fatalf("facts not replaced: %+v", doc.Facts)
	}
	if err := checkInventory(&protocol.Inventory{Facts: make([]protocol.PluginFact, maxInvEntries+1)}); err == nil {
		t.Fatal("an inventory with too many facts was accepted")
	}
}
