package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// schedulesReport is the schedules phase's figures.
type schedulesReport struct {
	mu sync.Mutex

	Schedules         int       `json:"schedules"`
	PerDevice         int       `json:"perDevice"`
	Devices           int       `json:"devices"`
	Cron              string    `json:"cron"`
	Spread            int       `json:"spreadSeconds" doc:"-1: left out"`
	SpreadUnsupported bool      `json:"spreadUnsupported,omitempty" doc:"the server refused spreadSeconds"`
	Created           int       `json:"created"`
	CreateSeconds     float64   `json:"createSeconds"`
	WindowStart       time.Time `json:"windowStart"`
	Minutes           int       `json:"minutes"`
	ReadSeconds       float64   `json:"readSeconds" doc:"reading every schedule's fires back"`

	// Fires whose fireAt lies in the window.
	Expected   int            `json:"expected" doc:"schedules × minutes"`
	Recorded   int            `json:"recorded"`
	ByStatus   map[string]int `json:"byStatus"`
	Missing    int            `json:"missing" doc:"(schedule, minute) with no fire"`
	Lateness   latency        `json:"lateness" doc:"firedAt − fireAt"`
	LateMinMs  float64        `json:"latenessMinMs" doc:"the earliest fire: about the scheduler tick's phase in the second"`
	LateOver1s int            `json:"lateOver1s"`
	ByMinute   []latency      `json:"latenessByMinute" doc:"each window minute's fires"`
	Started    int            `json:"startedInWindow" doc:"fires whose work started (firedAt) in the window, whatever their fireAt: the throughput"`
	LoadAvg    []string       `json:"loadAvg" doc:"the machine's 1-minute load average at each window minute's end"`
	Errors     map[string]int `json:"errors,omitempty" doc:"failed or skipped fires' errors (first 60 characters)"`

	// Double fires over every fire read (must all be 0).
	FiresRead      int `json:"firesRead" doc:"every fire of the schedules, in the window or not"`
	DupRows        int `json:"dupRows" doc:"extra rows for one (schedule, fireAt)"`
	ExtraInMinute  int `json:"extraInMinute" doc:"a second fire time of one schedule in one window minute"`
	MultiCommand   int `json:"multiCommand" doc:"extra commands of a fire (each targets one device)"`
	SharedCommands int `json:"sharedCommands" doc:"command ids named by two fires"`
	Orphans        int `json:"orphanCommands" doc:"uptime commands the agents got that no fire names"`
	DoubleFires    int `json:"doubleFires" doc:"the sum of the four above and dupRows"`

	// The work as the agents saw it.
	AgentCommands int `json:"agentCommands" doc:"distinct uptime commands the agents were handed"`
	Redelivered   int `json:"redelivered" doc:"of those, handed more than once (same id: a redelivery, not a double fire)"`
	Undelivered   int `json:"undelivered" doc:"commands of the window's fires started 10 s before the agents were asked, that no agent got"`

	Nodes    []nodeCPU `json:"nodes"`
	Profiles []string  `json:"profiles,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// nodeCPU is one server process's CPU (utime + stime).
type nodeCPU struct {
	PID            string    `json:"pid"`
	BaselinePerMin float64   `json:"baselineSecondsPerMinute" doc:"the linked fleet, no schedules"`
	PerMinute      []float64 `json:"secondsPerMinute" doc:"each window minute"`
	WindowSeconds  float64   `json:"windowSeconds"`
}

func (sr *schedulesReport) spreadText() string {
	switch {
	case sr.SpreadUnsupported:
		return "not supported by this server (every schedule fires at :00)"
	case sr.Spread < 0:
		return "left out (every schedule fires at :00)"
	case sr.Spread == 0:
		return "0 (every schedule fires at :00)"
	}
	return strconv.Itoa(sr.Spread) + "s"
}

// analyze fills the fire figures from every schedule's fires and the
// agents' uptime commands (id → times handed).
// workAt is when the agents were asked (fires started after it cannot
// have reached them).
func (sr *schedulesReport) analyze(fires [][]fireRow, work map[string]uint32, workAt, t0 time.Time, minutes int) {
	end := t0.Add(time.Duration(minutes) * time.Minute)
	sr.Expected = len(fires) * minutes
	sr.ByStatus, sr.Errors = map[string]int{}, map[string]int{}
	owner := map[string]string{} // command id → fire id
	var late []int64
	byMinute := make([][]int64, minutes)
	for _, fs := range fires {
		perMinute := make([]int, minutes)
		times := map[int64]int{}
		for _, f := range fs {
			sr.FiresRead++
			if !f.FiredAt.Before(t0) && f.FiredAt.Before(end) {
				sr.Started++
			}
			times[f.FireAt.UnixNano()]++
			if len(f.CommandIDs) > 1 {
				sr.MultiCommand += len(f.CommandIDs) - 1
			}
			for _, id := range f.CommandIDs {
				if o, ok := owner[id]; ok && o != f.ID {
					sr.SharedCommands++
				}
				owner[id] = f.ID
			}
			if f.FireAt.Before(t0) || !f.FireAt.Before(end) {
				continue
			}
			sr.Recorded++
			m := int(f.FireAt.Sub(t0) / time.Minute)
			perMinute[m]++
			sr.ByStatus[f.Status]++
			if f.Status != "fired" && f.Error != "" {
				e := f.Error
				if len(e) > 60 {
					e = e[:60]
				}
				sr.Errors[e]++
			}
			d := f.FiredAt.Sub(f.FireAt)
			late = append(late, int64(d))
			byMinute[m] = append(byMinute[m], int64(d))
			if d > time.Second {
				sr.LateOver1s++
			}
			for _, id := range f.CommandIDs {
				if work[id] == 0 && f.FiredAt.Before(workAt.Add(-10*time.Second)) {
					sr.Undelivered++
				}
			}
		}
		for _, n := range times {
			sr.DupRows += n - 1
		}
		for _, n := range perMinute {
			if n == 0 {
				sr.Missing++
			} else {
				sr.ExtraInMinute += n - 1
			}
		}
	}
	sr.Lateness = summarize(late)
	sr.ByMinute = make([]latency, minutes)
	for i, v := range byMinute {
		sr.ByMinute[i] = summarize(v)
	}
	if len(late) > 0 {
		sr.LateMinMs = float64(slices.Min(late)) / 1e6
	}
	for id, n := range work {
		sr.AgentCommands++
		if n > 1 {
			sr.Redelivered++
		}
		if _, ok := owner[id]; !ok {
			sr.Orphans++
		}
	}
	sr.DoubleFires = sr.DupRows + sr.ExtraInMinute + sr.MultiCommand + sr.SharedCommands + sr.Orphans
}

func (sr *schedulesReport) print(p func(string, ...any)) {
	p("  schedules           %d (%s, uptime, offline skip; %d a device on %d devices), spread %s",
		sr.Schedules, sr.Cron, sr.PerDevice, sr.Devices, sr.spreadText())
	p("    created           %d through the API in %.1fs (%.0f/s)", sr.Created, sr.CreateSeconds, float64(sr.Created)/max(sr.CreateSeconds, 1e-9))
	if sr.Minutes == 0 {
		if sr.Error != "" {
			p("    error             %s", sr.Error)
		}
		return
	}
	p("    window            %d minute(s) from %s", sr.Minutes, sr.WindowStart.Format(time.RFC3339))
	p("    fires             expected %d, recorded %d, missing %d; %s", sr.Expected, sr.Recorded, sr.Missing, statusText(sr.ByStatus))
	due := float64(sr.Schedules) / 60
	p("    throughput        %d fires started in the window (%.0f/s; %.0f/s come due)", sr.Started, float64(sr.Started)/float64(sr.Minutes*60), due)
	p("    lateness          firedAt − fireAt: %s; min %.2f ms; over 1 s: %d", sr.Lateness, sr.LateMinMs, sr.LateOver1s)
	for i, l := range sr.ByMinute {
		load := ""
		if i < len(sr.LoadAvg) {
			load = "; load average " + sr.LoadAvg[i]
		}
		p("      minute %d       %s%s", i+1, l, load)
	}
	for e, n := range sr.Errors {
		p("      %6d × %s", n, e)
	}
	p("    double fires      %d (duplicate rows %d, 2nd fire in a minute %d, extra commands in a fire %d, commands shared by fires %d,",
		sr.DoubleFires, sr.DupRows, sr.ExtraInMinute, sr.MultiCommand, sr.SharedCommands)
	p("                      uptime commands no fire names %d) over %d fires read", sr.Orphans, sr.FiresRead)
	p("    agents            %d distinct uptime commands handed, %d of them more than once (redelivery), %d of the window's never handed (fires started 10 s before the agents were asked)",
		sr.AgentCommands, sr.Redelivered, sr.Undelivered)
	var total, base float64
	for i, n := range sr.Nodes {
		per := make([]string, len(n.PerMinute))
		for j, v := range n.PerMinute {
			per[j] = fmt.Sprintf("%.2f", v)
		}
		total += n.WindowSeconds
		base += n.BaselinePerMin * float64(sr.Minutes)
		p("    CPU node %d         pid %s: idle fleet %.2f s/min; window %.2f s/min (per minute: %s)",
			i+1, n.PID, n.BaselinePerMin, n.WindowSeconds/float64(max(sr.Minutes, 1)), strings.Join(per, " "))
	}
	if len(sr.Nodes) > 0 && sr.Recorded > 0 {
		p("    CPU per fire      %.2f ms all told, %.2f ms above the idle fleet (all nodes, %d fires)",
			total*1000/float64(sr.Recorded), (total-base)*1000/float64(sr.Recorded), sr.Recorded)
	}
	for _, f := range sr.Profiles {
		p("    profile           %s", f)
	}
	p("    fires read back   in %.1fs", sr.ReadSeconds)
	if sr.Error != "" {
		p("    error             %s", sr.Error)
	}
}

func statusText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
