package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is the simulation's result (JSON with --json).
type report struct {
	Server        string  `json:"server"`
	Agents        int     `json:"agents"`
	Procs         int     `json:"procs"`
	FDLimit       int     `json:"fdLimitPerProcess"`
	Enrolled      int     `json:"enrolled"`
	EnrollFailed  uint64  `json:"enrollFailed"`
	EnrollSeconds float64 `json:"enrollSeconds"`
	RampSeconds   float64 `json:"rampSeconds"`

	LinkedAfterRamp int64 `json:"linkedAfterRamp"`
	LinkedAtEnd     int64 `json:"linkedAtEnd"`
	PeakLinked      int64 `json:"peakLinked"`
	NeverLinked     int64 `json:"neverLinked"`

	Dials           uint64 `json:"dials"`
	DialFailures    uint64 `json:"dialFailures"`
	Shed            uint64 `json:"shed" doc:"upgrades answered 429/503"`
	Refused         uint64 `json:"refused" doc:"agents whose token was refused"`
	Heartbeats      uint64 `json:"heartbeats"`
	HeartbeatErrors uint64 `json:"heartbeatErrors"`
	Inventories     uint64 `json:"inventories"`
	Pongs           uint64 `json:"pongs"`
	Reconnects      uint64 `json:"reconnects"`
	Disconnects     uint64 `json:"disconnects"`
	ErrorFrames     uint64 `json:"errorFrames"`

	LinkP50Ms      float64 `json:"linkP50Ms" doc:"successful attempt, dial to welcome"`
	LinkP99Ms      float64 `json:"linkP99Ms"`
	LinkMaxMs      float64 `json:"linkMaxMs"`
	FirstLinkP50Ms float64 `json:"firstLinkP50Ms" doc:"first attempt to welcome, retries included"`
	FirstLinkP99Ms float64 `json:"firstLinkP99Ms"`

	ServerBefore       serverSample `json:"serverBefore"`
	ServerAfter        serverSample `json:"serverAfter"`
	ServerAfterRestart serverSample `json:"serverAfterRestart"`
	ServerEnd          serverSample `json:"serverEnd"`
	RSSKiBPerAgent     float64      `json:"serverRssKiBPerAgent"`
	HeapKiBPerAgent    float64      `json:"serverHeapKiBPerAgent"`
	StackKiBPerAgent   float64      `json:"serverStackKiBPerAgent"`
	GoroutinesPerAgent float64      `json:"serverGoroutinesPerAgent"`

	// Remote work as the agents saw it, and the phases' results.
	AgentCommands       uint64           `json:"agentCommands" doc:"commands answered (first delivery)"`
	AgentCommandRepeats uint64           `json:"agentCommandRepeats" doc:"repeats answered from memory"`
	AgentEchoes         uint64           `json:"agentTerminalEchoes"`
	AgentTerminals      uint64           `json:"agentTerminalsOpened"`
	AgentRemoteWriteErr uint64           `json:"agentRemoteWriteErrors"`
	Remote              *remoteReport    `json:"remote,omitempty"`
	Alerts              *alertsReport    `json:"alerts,omitempty"`
	Schedules           *schedulesReport `json:"schedules,omitempty"`
	Rollout             *rolloutReport   `json:"rollout,omitempty"`

	Restart   *restartReport `json:"restart,omitempty"`
	SimRSSKiB int64          `json:"simRssKiB"`
	Errors    map[string]int `json:"errors,omitempty"`
}

// restartReport times the fleet's return after a server restart, from the
// first disconnect any agent saw.
type restartReport struct {
	Expected        int       `json:"expected"`
	Relinked        int       `json:"relinked"`
	FirstDisconnect time.Time `json:"firstDisconnect"`
	P50Seconds      float64   `json:"p50Seconds"`
	P90Seconds      float64   `json:"p90Seconds"`
	P99Seconds      float64   `json:"p99Seconds"`
	AllSeconds      float64   `json:"allRelinkedSeconds" doc:"0 when not every agent came back"`
}

// perAgent divides the server's growth by the agents linked.
func (r *report) perAgent() {
	n := float64(r.LinkedAfterRamp)
	if n <= 0 {
		return
	}
	b, a := r.ServerBefore, r.ServerAfter
	if b.RSSKiB > 0 && a.RSSKiB > 0 {
		r.RSSKiBPerAgent = float64(a.RSSKiB-b.RSSKiB) / n
	}
	if a.HeapInuseKiB > 0 {
		r.HeapKiBPerAgent = float64(a.HeapInuseKiB-b.HeapInuseKiB) / n
		r.StackKiBPerAgent = float64(a.StackKiB-b.StackKiB) / n
		r.GoroutinesPerAgent = float64(a.Goroutines-b.Goroutines) / n
	}
}

func (r *report) merge(shards []*shardReport, firstDisconnect int64) {
	var link, first []uint32
	var relink []int64
	r.Errors = map[string]int{}
	for _, s := range shards {
		if s == nil {
			continue
		}
		r.EnrollFailed += s.EnrollFailed
		r.PeakLinked += s.PeakLinked
		r.NeverLinked += int64(s.Enrolled) - s.FirstLinked
		r.Dials += s.Dials
		r.DialFailures += s.DialFailures
		r.Shed += s.Shed
		r.Refused += s.Refused
		r.Heartbeats += s.Heartbeats
		r.HeartbeatErrors += s.HeartbeatErrors
		r.Inventories += s.Inventories
		r.Pongs += s.Pongs
		r.Reconnects += s.Reconnects
		r.Disconnects += s.Disconnects
		r.ErrorFrames += s.ErrorFrames
		r.SimRSSKiB += s.SimRSSKiB
		r.AgentCommands += s.Commands
		r.AgentCommandRepeats += s.CommandRepeats
		r.AgentEchoes += s.Echoes
		r.AgentTerminals += s.TerminalsOpened
		r.AgentRemoteWriteErr += s.RemoteWriteErrs
		link = append(link, s.LinkMicros...)
		first = append(first, s.FirstLinkMicros...)
		relink = append(relink, s.RelinkAt...)
		for k, v := range s.Errors {
			r.Errors[k] += v
		}
	}
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	ms := func(us uint32) float64 { return float64(us) / 1000 }
	link, first = sortedCopy(link), sortedCopy(first)
	r.LinkP50Ms, r.LinkP99Ms = ms(percentile(link, 50)), ms(percentile(link, 99))
	if len(link) > 0 {
		r.LinkMaxMs = ms(link[len(link)-1])
	}
	r.FirstLinkP50Ms, r.FirstLinkP99Ms = ms(percentile(first, 50)), ms(percentile(first, 99))

	if rr := r.Restart; rr != nil && firstDisconnect > 0 {
		relink = sortedCopy(relink)
		rr.Relinked = len(relink)
		rr.FirstDisconnect = time.Unix(0, firstDisconnect).UTC()
		sec := func(at int64) float64 { return float64(at-firstDisconnect) / 1e9 }
		if len(relink) > 0 {
			rr.P50Seconds, rr.P90Seconds, rr.P99Seconds = sec(percentile(relink, 50)), sec(percentile(relink, 90)), sec(percentile(relink, 99))
			if rr.Relinked >= rr.Expected {
				rr.AllSeconds = sec(relink[len(relink)-1])
			}
		}
	}
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("breeze-sim report — %s, %d agents in %d process(es), open-file limit %d per process", r.Server, r.Agents, r.Procs, r.FDLimit)
	p("  enrolled            %d (failed %d) in %.1fs", r.Enrolled, r.EnrollFailed, r.EnrollSeconds)
	p("  linked              %d after ramp-up (%.1fs), peak %d, at end %d, never linked %d", r.LinkedAfterRamp, r.RampSeconds, r.PeakLinked, r.LinkedAtEnd, r.NeverLinked)
	p("  dials               %d, failed %d, shed (429/503) %d, tokens refused %d", r.Dials, r.DialFailures, r.Shed, r.Refused)
	p("  time to link        p50 %.1f ms, p99 %.1f ms, max %.1f ms (dial → welcome); first attempt → welcome p50 %.1f ms, p99 %.1f ms",
		r.LinkP50Ms, r.LinkP99Ms, r.LinkMaxMs, r.FirstLinkP50Ms, r.FirstLinkP99Ms)
	p("  frames              heartbeats %d (write errors %d), inventories %d, pongs %d, error frames %d", r.Heartbeats, r.HeartbeatErrors, r.Inventories, r.Pongs, r.ErrorFrames)
	p("  reconnects          %d (disconnects %d)", r.Reconnects, r.Disconnects)
	p("  server before       %s", r.ServerBefore)
	p("  server linked       %s", r.ServerAfter)
	if r.RSSKiBPerAgent != 0 || r.HeapKiBPerAgent != 0 {
		p("  server per agent    RSS %.1f KiB, Go heap %.1f KiB, stacks %.1f KiB, %.2f goroutines", r.RSSKiBPerAgent, r.HeapKiBPerAgent, r.StackKiBPerAgent, r.GoroutinesPerAgent)
	}
	if rr := r.Restart; rr != nil {
		p("  restart             %d of %d relinked; from the first disconnect: p50 %.1fs, p90 %.1fs, p99 %.1fs, all %s",
			rr.Relinked, rr.Expected, rr.P50Seconds, rr.P90Seconds, rr.P99Seconds, allText(rr))
		p("  server relinked     %s", r.ServerAfterRestart)
	}
	if r.Remote != nil || r.AgentCommands > 0 || r.AgentTerminals > 0 {
		p("  agents' remote work commands %d (repeats %d), terminals %d, echoes %d, write errors %d",
			r.AgentCommands, r.AgentCommandRepeats, r.AgentTerminals, r.AgentEchoes, r.AgentRemoteWriteErr)
	}
	if r.Remote != nil {
		r.Remote.print(p)
	}
	if r.Schedules != nil {
		r.Schedules.print(p)
	}
	if r.Rollout != nil {
		r.Rollout.print(p)
	}
	if r.Alerts != nil {
		r.Alerts.print(p)
	}
	if r.ServerEnd.Goroutines > 0 || r.ServerEnd.RSSKiB > 0 {
		p("  server at end       %s", r.ServerEnd)
	}
	p("  simulator RSS       %s in total (%.1f KiB per agent)", kib(r.SimRSSKiB), float64(r.SimRSSKiB)/float64(max(r.Enrolled, 1)))
	if len(r.Errors) > 0 {
		p("  errors seen:")
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			p("    %6d× %s", r.Errors[k], strings.TrimSpace(k))
		}
	}
}

func allText(rr *restartReport) string {
	if rr.AllSeconds == 0 {
		return "not reached"
	}
	return fmt.Sprintf("%.1fs", rr.AllSeconds)
}
