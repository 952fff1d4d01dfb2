package main

import (
	"fmt"
	"time"
)

// latencyTargetMs is the notification latency the phase checks p99 against.
const latencyTargetMs = 2000

// alertsReport is the alerts phase's result.
type alertsReport struct {
	OrgID             string           `json:"orgId"`
	Receiver          string           `json:"receiver"`
	Plugin            string           `json:"plugin" doc:"the webhook plugin, and whether the phase installed it"`
	HeartbeatMs       int64            `json:"heartbeatMs" doc:"the agents' heartbeat interval"`
	Latency           *latencyReport   `json:"latency,omitempty"`
	Storm             *stormReport     `json:"storm,omitempty"`
	BadRequests       int              `json:"badRequests" doc:"receiver requests that were no notification"`
	BadSignatures     int              `json:"badSignatures" doc:"notifications whose X-Breeze-Signature did not verify"`
	TestNotifications int              `json:"testNotifications" doc:"the plugin's test notifications (one: the phase tests the settings)"`
	ServerLog         *serverLogReport `json:"serverLog,omitempty"`
	Error             string           `json:"error,omitempty"`
}

// latencyReport: K agents hot at once against "cpu > 90 for D".
type latencyReport struct {
	Asked         int             `json:"asked"`
	Hot           int             `json:"hot" doc:"agents that went hot"`
	ForSeconds    int             `json:"forSeconds"`
	SettleSeconds float64         `json:"settleSeconds" doc:"wait between the rule's creation and the hot agents"`
	RuleID        string          `json:"ruleId"`
	RouteID       string          `json:"routeId"`
	RouteGrouping string          `json:"routeGrouping"`
	Open          transitionStats `json:"open"`
	OpenAlertsAPI int             `json:"openAlertsApi" doc:"alerts of the rule the API lists once the openings arrived"`
	Resolve       transitionStats `json:"resolve"`
	TargetP99Ms   float64         `json:"targetP99Ms"`
	OpenP99Met    bool            `json:"openP99Met"`
}

// stormReport: M agents dropped at once against "offline for N minutes".
type stormReport struct {
	Asked          int               `json:"asked"`
	Dropped        int               `json:"dropped"`
	OfflineMinutes int               `json:"offlineMinutes"`
	RuleID         string            `json:"ruleId"`
	RouteID        string            `json:"routeId"`
	RouteGrouping  string            `json:"routeGrouping"`
	OpenedAPI      int               `json:"openedApi" doc:"alerts of the rule the API lists once settled"`
	FirstSeconds   float64           `json:"firstOpenSeconds" doc:"drop → first alert listed"`
	SettleSeconds  float64           `json:"settleSeconds" doc:"drop → the last change of the count"`
	Settled        bool              `json:"settled" doc:"the count reached the dropped agents and held still"`
	Opened         notificationCount `json:"openNotifications"`
	ServerSettled  serverSample      `json:"serverSettled" doc:"the server once the count settled"`
	Rejoined       int               `json:"rejoined"`
	ResolvedAPI    int               `json:"resolvedApi"`
	ResolveSeconds float64           `json:"resolveSeconds" doc:"rejoin → the last change of the resolved count"`
	Resolved       notificationCount `json:"resolveNotifications"`
}

// serverLogReport: what the server logged during the phase.
type serverLogReport struct {
	Path     string   `json:"path"`
	Lines    int      `json:"lines"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Panics   int      `json:"panics"`
	Examples []string `json:"examples,omitempty" doc:"the first error, warning and panic lines"`
}

func (r *alertsReport) print(p func(string, ...any)) {
	p("  alerts              org %s, receiver %s, plugin %s, agents' heartbeat %s", r.OrgID, r.Receiver, r.Plugin, msText(r.HeartbeatMs))
	if l := r.Latency; l != nil {
		p("    cpu > 90 for %ds  %d of %d agents hot at once, %.0fs after the rule was made; route grouping: %s", l.ForSeconds, l.Hot, l.Asked, l.SettleSeconds, l.RouteGrouping)
		printTransition(p, "opened", l.Open)
		met := "met"
		if !l.OpenP99Met {
			met = "NOT met"
		}
		p("      target          p99 ≤ %.0f ms: %s; alerts listed by the API %d", l.TargetP99Ms, met, l.OpenAlertsAPI)
		printTransition(p, "resolved", l.Resolve)
	}
	if s := r.Storm; s != nil {
		settled := "settled"
		if !s.Settled {
			settled = "NOT settled"
		}
		p("    offline storm     %d of %d agents dropped at once, rule offline %d min; route grouping: %s", s.Dropped, s.Asked, s.OfflineMinutes, s.RouteGrouping)
		p("      opened          %d alerts (API); first after %.1fs, count %s %.1fs after the drop", s.OpenedAPI, s.FirstSeconds, settled, s.SettleSeconds)
		p("      notified        %s the drop", countText(s.Opened))
		p("      server          %s", s.ServerSettled)
		p("      rejoined        %d agents; %d alerts resolved (API), the last %.1fs after the rejoin", s.Rejoined, s.ResolvedAPI, s.ResolveSeconds)
		p("      resolve notes   %s the rejoin", countText(s.Resolved))
	}
	p("    receiver          test notifications %d, bad requests %d, bad signatures %d", r.TestNotifications, r.BadRequests, r.BadSignatures)
	if l := r.ServerLog; l != nil {
		p("    server log        %d lines during the phase: %d errors, %d warnings, %d panics (%s)", l.Lines, l.Errors, l.Warnings, l.Panics, l.Path)
		for _, e := range l.Examples {
			p("      %s", e)
		}
	}
	errLine(p, r.Error)
}

func printTransition(p func(string, ...any), name string, t transitionStats) {
	p("      %-15s %d of %d devices notified (exactly once %d, more than once %d, missing %d, others %d; %d requests) in %.1fs",
		name, t.Arrived, t.Expected, t.Exactly1, t.Duplicated, t.Missing, t.Extra, t.Requests, t.WaitSeconds)
	p("      latency         %s (heartbeat sent → notification, %d with a send time); arrivals spread over %.0f ms", t.Latency, t.WithSendTime, t.SpreadMs)
}

func countText(c notificationCount) string {
	return fmt.Sprintf("%d requests referencing %d alerts (%d distinct ids, at most %d in one, %d repeated), the last %.1fs after",
		c.Requests, c.Alerts, c.AlertsOnce, c.MaxInOne, c.Repeated, c.LastSeconds)
}

func msText(ms int64) string {
	if ms == 0 {
		return "?"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}
