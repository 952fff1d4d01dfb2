package sdk_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

func TestCollectionValidate(t *testing.T) {
	ok := sdk.Collection{
		Metrics: []sdk.Metric{{Name: "load.avg_1m", Value: 0.5, Unit: "load", Labels: map[string]string{"cpu": "0"}}},
		Facts:   []sdk.Fact{{Key: "kernel", Value: "6.1"}},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good collection: %v", err)
	}
	many := sdk.Collection{}
	for i := range sdk.MaxMetrics + 1 {
		many.Metrics = append(many.Metrics, sdk.Metric{Name: fmt.Sprintf("m%d", i)})
	}
	for _, c := range []struct {
		name string
		col  sdk.Collection
		want string
	}{
		{"upper case name", sdk.Collection{Metrics: []sdk.Metric{{Name: "Load"}}}, `metric name "Load"`},
		{"dash", sdk.Collection{Metrics: []sdk.Metric{{Name: "load-avg"}}}, `metric name "load-avg"`},
		{"digit first", sdk.Collection{Metrics: []sdk.Metric{{Name: "1m"}}}, `metric name "1m"`},
		{"too long", sdk.Collection{Metrics: []sdk.Metric{{Name: "a" + strings.Repeat("b", sdk.MaxNameLen)}}}, "does not match"},
		{"NaN", sdk.Collection{Metrics: []sdk.Metric{{Name: "x", Value: math.NaN()}}}, "not a finite number"},
		{"too many", many, "101 metrics"},
		{"repeated fact", sdk.Collection{Facts: []sdk.Fact{{Key: "k"}, {Key: "k"}}}, `fact key "k"`},
	} {
		err := c.col.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// Kept drops exactly what Validate reports as dropped and clips what it
// reports as too long: a collection Validate accepts is kept whole.
func TestCollectionKept(t *testing.T) {
	ok := sdk.Collection{
		Metrics: []sdk.Metric{{Name: "load.avg_1m", Value: 0.5, Unit: "load", Labels: map[string]string{"cpu": "0"}}},
		Facts:   []sdk.Fact{{Key: "kernel", Value: "6.1"}},
	}
	if got := ok.Kept(); len(got.Metrics) != 1 || got.Metrics[0].Labels["cpu"] != "0" || len(got.Facts) != 1 || got.Facts[0] != ok.Facts[0] {
		t.Fatalf("a valid collection was not kept whole: %+v", got)
	}
	labels := map[string]string{"": "empty key", "long": strings.Repeat("é", sdk.MaxNameLen)}
	for i := range sdk.MaxLabels + 4 {
		labels[fmt.Sprintf("l%02d", i)] = "v"
	}
	in := sdk.Collection{Metrics: []sdk.Metric{
		{Name: "Upper", Value: 1}, {Name: "load-avg", Value: 1}, {Name: "nan", Value: math.NaN()}, {Name: "inf", Value: math.Inf(1)},
		{Name: "a" + strings.Repeat("b", sdk.MaxNameLen), Value: 1},
		{Name: "kept", Value: 2, Unit: strings.Repeat("u", sdk.MaxUnitLen+5), Labels: labels},
	}, Facts: []sdk.Fact{{Key: ""}, {Key: "k", Value: "first"}, {Key: "k", Value: "second"},
		{Key: "big", Value: strings.Repeat("x", sdk.MaxFactValue+1)}, {Key: strings.Repeat("k", sdk.MaxNameLen+1)}}}
	for i := range sdk.MaxMetrics + 5 {
		in.Metrics = append(in.Metrics, sdk.Metric{Name: fmt.Sprintf("m%d", i), Value: 1})
	}
	got := in.Kept()
	if len(got.Metrics) != sdk.MaxMetrics || got.Metrics[0].Name != "kept" || got.Metrics[1].Name != "m0" {
		t.Fatalf("metrics kept: %d, first %+v", len(got.Metrics), got.Metrics[:2])
	}
	k := got.Metrics[0]
	if len(k.Unit) != sdk.MaxUnitLen || len(k.Labels) != sdk.MaxLabels || k.Labels[""] != "" {
		t.Fatalf("kept metric: unit %d bytes, %d labels %v", len(k.Unit), len(k.Labels), k.Labels)
	}
	if v, ok := k.Labels["l00"]; !ok || v != "v" {
		t.Fatalf("labels are not kept in key order: %v", k.Labels)
	}
	if len(got.Facts) != 2 || got.Facts[0].Value != "first" || len(got.Facts[1].Value) != sdk.MaxFactValue {
		t.Fatalf("facts kept: %+v", got.Facts)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("what is kept does not validate: %v", err)
	}
}
