package plugins

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

// The agent keeps of a collection exactly what the SDK's limits keep (one
// source: sdk.Collection.Kept), so a name the SDK's validation refuses is
// never sent, and nothing the agent sends fails sdk.Collection.Validate.
func TestCollectorLimitsAreTheSDKs(t *testing.T) {
	c := sdk.Collection{Metrics: []sdk.Metric{
		{Name: "Load-Avg", Value: 1}, {Name: "ok.one", Value: math.NaN()}, {Name: "ok.two", Value: 2, Unit: strings.Repeat("u", 40),
			Labels: map[string]string{"k": strings.Repeat("v", 200)}},
	}, Facts: []sdk.Fact{{Key: "k", Value: "a"}, {Key: "k", Value: "b"}, {Key: "", Value: "x"}}}
	for i := range sdk.MaxMetrics + 10 {
		c.Metrics = append(c.Metrics, sdk.Metric{Name: fmt.Sprintf("m.%d", i), Value: float64(i)})
	}
	mt := keptMetrics("acme.x", c)
	if len(mt) != sdk.MaxMetrics || mt[0].Name != "ok.two" || mt[0].Plugin != "acme.x" {
		t.Fatalf("%d metrics, first %+v", len(mt), mt[0])
	}
	if len(mt[0].Unit) != sdk.MaxUnitLen || len(mt[0].Labels["k"]) != sdk.MaxNameLen {
		t.Fatalf("not clipped to the SDK's limits: %+v", mt[0])
	}
	back := sdk.Collection{}
	for _, m := range mt {
		if !sdk.MetricNameRE.MatchString(m.Name) {
			t.Fatalf("sent a name the SDK refuses: %q", m.Name)
		}
		back.Metrics = append(back.Metrics, sdk.Metric{Name: m.Name, Value: m.Value, Unit: m.Unit, Labels: m.Labels})
	}
	facts := keptFacts("acme.x", c)
	if len(facts) != 1 || facts[0].Value != "a" {
		t.Fatalf("facts %+v", facts)
	}
	for _, f := range facts {
		back.Facts = append(back.Facts, sdk.Fact{Key: f.Key, Value: f.Value})
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("what the agent sends fails the SDK's validation: %v", err)
	}
}
