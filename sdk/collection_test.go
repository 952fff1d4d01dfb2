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
