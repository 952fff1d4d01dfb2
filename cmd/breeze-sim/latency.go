package main

import "fmt"

// latency summarises samples in milliseconds.
type latency struct {
	N      int     `json:"n"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
	MeanMs float64 `json:"meanMs"`
}

// summarize computes a latency summary of ns samples (any order).
func summarize(ns []int64) latency {
	if len(ns) == 0 {
		return latency{}
	}
	s := sortedCopy(ns)
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	ms := func(v int64) float64 { return float64(v) / 1e6 }
	return latency{
		N: len(s), P50Ms: ms(percentile(s, 50)), P90Ms: ms(percentile(s, 90)), P99Ms: ms(percentile(s, 99)),
		MaxMs: ms(s[len(s)-1]), MeanMs: sum / float64(len(s)) / 1e6,
	}
}

func (l latency) String() string {
	if l.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (n %d)", l.P50Ms, l.P90Ms, l.P99Ms, l.MaxMs, l.N)
}
