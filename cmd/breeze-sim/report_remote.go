package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// remoteReport holds the remote-work phases' results.
type remoteReport struct {
	Linked    int              `json:"linkedDevices" doc:"devices linked when the phases began"`
	Dispatch  *dispatchReport  `json:"dispatch,omitempty"`
	Echo      *echoReport      `json:"echo,omitempty"`
	ScriptRun *scriptRunReport `json:"scriptRun,omitempty"`
}

// dispatchReport: commands sent through the API to random linked devices.
type dispatchReport struct {
	Requested   int     `json:"requested"`
	Concurrency int     `json:"concurrency"`
	Accepted    int     `json:"accepted" doc:"calls answered 202"`
	APIErrors   int     `json:"apiErrors"`
	Received    int     `json:"received" doc:"commands the agents saw (first delivery)"`
	Seconds     float64 `json:"seconds" doc:"first call until the last agent sample arrived"`
	PerSecond   float64 `json:"perSecond"`
	APIToAgent  latency `json:"apiToAgent" doc:"send time in the command → the agent read it (same clock)"`
	APICall     latency `json:"apiCall" doc:"the POST's own duration"`
	// ServerCPUMsPerCommand is the server's CPU time (user + system) from
	// the first call until the last sample, per accepted command (0: unknown).
	ServerCPUMsPerCommand float64 `json:"serverCpuMsPerCommand,omitempty" doc:"server CPU during the phase per accepted command"`
	// The same for the processes beside it on this machine (by name; 0:
	// none ran): PostgreSQL, Redis, and the simulator itself, whose figure
	// is the same work on every run and so says how fast the shared machine
	// was at the time (compare runs by it).
	DatabaseCPUMsPerCommand float64 `json:"databaseCpuMsPerCommand,omitempty" doc:"postgres processes' CPU per accepted command"`
	RedisCPUMsPerCommand    float64 `json:"redisCpuMsPerCommand,omitempty" doc:"redis-server's CPU per accepted command"`
	SimCPUMsPerCommand      float64 `json:"simCpuMsPerCommand,omitempty" doc:"the simulator's own CPU per accepted command"`
	Load                    string  `json:"load,omitempty" doc:"the machine's 1-minute load average at the end"`
	Checked                 int     `json:"checked" doc:"last commands read back through the API"`
	CheckedFinal            int     `json:"checkedSucceeded"`
	Error                   string  `json:"error,omitempty"`
}

// echoReport: keystrokes through a terminal opened as a browser would.
type echoReport struct {
	Device     string  `json:"device"`
	OpenMs     float64 `json:"openMs" doc:"ticket, upgrade and ready"`
	Keystrokes int     `json:"keystrokes"`
	Echoed     int     `json:"echoed"`
	Mismatched int     `json:"mismatched" doc:"echoes that were not the key sent"`
	Latency    latency `json:"latency" doc:"input frame written → its output frame read"`
	Error      string  `json:"error,omitempty"`
}

// scriptRunReport: one script run on the whole org.
type scriptRunReport struct {
	RunID            string         `json:"runId"`
	Total            int            `json:"total"`
	Succeeded        int            `json:"succeeded"`
	Final            int            `json:"final" doc:"commands in a final state"`
	Counts           map[string]int `json:"counts"`
	APICallMs        float64        `json:"apiCallMs"`
	Seconds          float64        `json:"seconds" doc:"call until every command was final (polled every 20 ms)"`
	DevicesPerSecond float64        `json:"devicesPerSecond"`
	Complete         bool           `json:"complete"`
	Error            string         `json:"error,omitempty"`
}

func (rr *remoteReport) print(p func(string, ...any)) {
	if d := rr.Dispatch; d != nil {
		p("  dispatch            %d of %d commands accepted (API errors %d), %d in flight, to %d linked devices; agents saw %d in %.1fs (%.0f/s)",
			d.Accepted, d.Requested, d.APIErrors, d.Concurrency, rr.Linked, d.Received, d.Seconds, d.PerSecond)
		p("    API call → agent  %s", d.APIToAgent)
		p("    API call itself   %s", d.APICall)
		if d.ServerCPUMsPerCommand > 0 {
			p("    server CPU        %.2f ms per command (load average %s)", d.ServerCPUMsPerCommand, d.Load)
		}
		if d.SimCPUMsPerCommand > 0 {
			beside := ""
			if d.DatabaseCPUMsPerCommand > 0 {
				beside += fmt.Sprintf("PostgreSQL %.2f, ", d.DatabaseCPUMsPerCommand)
			}
			if d.RedisCPUMsPerCommand > 0 {
				beside += fmt.Sprintf("Redis %.2f, ", d.RedisCPUMsPerCommand)
			}
			p("    beside it         %sthe simulator %.2f ms of CPU per command (the simulator's is the machine's pace: compare runs by it)",
				beside, d.SimCPUMsPerCommand)
		}
		if d.Checked > 0 {
			p("    read back         %d of the last %d commands succeeded", d.CheckedFinal, d.Checked)
		}
		errLine(p, d.Error)
	}
	if e := rr.Echo; e != nil {
		p("  terminal echo       %d of %d keystrokes echoed (%d mismatched) on %s, opened in %.1f ms", e.Echoed, e.Keystrokes, e.Mismatched, e.Device, e.OpenMs)
		p("    keystroke → echo  %s", e.Latency)
		errLine(p, e.Error)
	}
	if s := rr.ScriptRun; s != nil {
		state := "every command final"
		if !s.Complete {
			state = "NOT complete"
		}
		p("  script run          %d of %d devices succeeded, %s after %.2fs (%.0f devices/s); API call %.1f ms; counts %s",
			s.Succeeded, s.Total, state, s.Seconds, s.DevicesPerSecond, s.APICallMs, countsText(s.Counts))
		errLine(p, s.Error)
	}
}

func errLine(p func(string, ...any), msg string) {
	if msg != "" {
		p("    error             %s", msg)
	}
}

func countsText(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
