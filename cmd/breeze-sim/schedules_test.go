package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime 250, stime 50 ticks) after a name with spaces.
	stat := "4242 (breeze serve) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 1000 10"
	got, ok := parseStatCPU(stat)
	if !ok || got != 3 {
		t.Fatalf("parseStatCPU = %v, %v; want 3 s", got, ok)
	}
	if _, ok := parseStatCPU("garbage"); ok {
		t.Fatal("a line without fields parsed")
	}
}

// processCPU finds this test's own process by its name and counts the
// CPU it burns; a name no process has counts nothing.
func TestProcessCPUSumsByName(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatalf("the simulator reads /proc: %v", err)
	}
	stat := string(b)
	self := stat[strings.IndexByte(stat, '(')+1 : strings.LastIndexByte(stat, ')')]
	before := processCPU(self, "no-such-process")
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
	}
	after := processCPU(self, "no-such-process")
	if d := after[self] - before[self]; d < 0.1 {
		t.Fatalf("%s burned 0.3 s, counted %.2f s", self, d)
	}
	if after["no-such-process"] != 0 {
		t.Fatalf("a missing process counted %v", after["no-such-process"])
	}
}

func TestAnalyzeCountsDoubleFires(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	fire := func(id string, fireAt time.Time, late time.Duration, cmds ...string) fireRow {
		return fireRow{ID: id, FireAt: fireAt, FiredAt: fireAt.Add(late), Status: "fired", CommandIDs: cmds}
	}
	fires := [][]fireRow{
		// clean: both minutes, 100 ms and 2 s late
		{fire("a1", at(0, 5), 100*time.Millisecond, "ca1"), fire("a2", at(1, 5), 2*time.Second, "ca2")},
		// the same fire time twice, a second time in minute 0, minute 1 missing,
		// a fire with two commands, one of them also another fire's
		{fire("b1", at(0, 7), 0, "cb1"), fire("b1x", at(0, 7), 0, "cb1x"), fire("b2", at(0, 30), 0, "cb2", "ca1")},
		// before the window: read, not measured
		{fire("c0", at(-1, 0), 0, "cc0"), fire("c1", at(0, 0), 0, "cc1"), fire("c2", at(1, 0), 0, "cc2")},
	}
	work := map[string]uint32{"ca1": 1, "ca2": 2, "cb1": 1, "cc0": 1, "cc1": 1, "cc2": 1, "orphan": 1}
	var sr schedulesReport
	sr.analyze(fires, work, at(5, 0), t0, 2)
	checks := []struct {
		name      string
		got, want int
	}{
		{"expected", sr.Expected, 6}, {"recorded", sr.Recorded, 7}, {"missing", sr.Missing, 1},
		{"dupRows", sr.DupRows, 1}, {"extraInMinute", sr.ExtraInMinute, 2}, {"multiCommand", sr.MultiCommand, 1},
		{"sharedCommands", sr.SharedCommands, 1}, {"orphans", sr.Orphans, 1},
		{"doubleFires", sr.DoubleFires, 6}, {"lateOver1s", sr.LateOver1s, 1}, {"firesRead", sr.FiresRead, 8},
		{"redelivered", sr.Redelivered, 1}, {"undelivered", sr.Undelivered, 2}, {"agentCommands", sr.AgentCommands, 7},
		{"started", sr.Started, 7},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if sr.Lateness.N != 7 || sr.Lateness.MaxMs != 2000 || len(sr.ByMinute) != 2 || sr.ByMinute[1].N != 2 {
		t.Errorf("lateness %+v, by minute %+v", sr.Lateness, sr.ByMinute)
	}
}
