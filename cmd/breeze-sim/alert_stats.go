package main

import "time"

// Accounting of the alerts phase: notifications (receiver arrivals)
// matched with the agents' notes.

// transitionStats is one transition (opening or resolution) of the hot set.
type transitionStats struct {
	Expected     int     `json:"expected" doc:"devices that should be notified"`
	WithSendTime int     `json:"withSendTime" doc:"of those, devices whose triggering heartbeat was noted"`
	Arrived      int     `json:"arrived" doc:"devices with at least one notification"`
	Exactly1     int     `json:"exactlyOne" doc:"devices notified exactly once"`
	Duplicated   int     `json:"duplicated" doc:"devices notified more than once"`
	Missing      int     `json:"missing" doc:"devices not notified"`
	Extra        int     `json:"extra" doc:"notified devices outside the set"`
	Requests     int     `json:"requests" doc:"notifications of this rule and transition"`
	Latency      latency `json:"latency" doc:"triggering heartbeat sent → notification arrived, per device (its first)"`
	SpreadMs     float64 `json:"arrivalSpreadMs" doc:"first → last of the devices' first notifications"`
	WaitSeconds  float64 `json:"waitSeconds" doc:"how long the phase waited"`
}

// tally matches the arrivals of ruleID and status with the devices
// expected, whose triggering heartbeats were sent at sendNs (unix ns; a
// device missing there has no latency sample).
func tally(expected []string, sendNs map[string]int64, arrivals []arrival, ruleID, status string) transitionStats {
	st := transitionStats{Expected: len(expected)}
	count := map[string]int{}
	first := map[string]time.Time{}
	for _, a := range arrivals {
		if a.RuleID != ruleID || a.Status != status {
			continue
		}
		st.Requests++
		for _, d := range a.DeviceIDs {
			count[d]++
			if f, ok := first[d]; !ok || a.At.Before(f) {
				first[d] = a.At
			}
		}
	}
	want := make(map[string]bool, len(expected))
	var samples []int64
	var lo, hi time.Time
	for _, d := range expected {
		want[d] = true
		sent := sendNs[d]
		if sent > 0 {
			st.WithSendTime++
		}
		switch n := count[d]; {
		case n == 0:
			st.Missing++
			continue
		case n == 1:
			st.Exactly1++
		default:
			st.Duplicated++
		}
		st.Arrived++
		if f := first[d]; lo.IsZero() || f.Before(lo) {
			lo = f
		}
		hi = later(hi, first[d])
		if sent > 0 {
			samples = append(samples, first[d].UnixNano()-sent)
		}
	}
	for d := range count {
		if !want[d] {
			st.Extra++
		}
	}
	st.Latency = summarize(samples)
	st.SpreadMs = float64(hi.Sub(lo).Microseconds()) / 1000
	return st
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// notificationCount is what a storm's notifications amount to.
type notificationCount struct {
	Requests   int `json:"requests" doc:"notifications the receiver got"`
	Alerts     int `json:"alerts" doc:"alerts they reference (a digest counts each it lists)"`
	Repeated   int `json:"repeated" doc:"notifications whose id came before (a retry or a duplicate)"`
	MaxInOne   int `json:"maxInOne" doc:"most alerts in one notification"`
	AlertsOnce int `json:"alertsOnce" doc:"distinct alert ids named"`
	// LastSeconds: the last of them arrived this long after from (the
	// drop or the rejoin).
	LastSeconds float64 `json:"lastSeconds"`
}

// countNotifications counts the arrivals of ruleID and status; from is
// when the phase made them happen.
func countNotifications(arrivals []arrival, ruleID, status string, from time.Time) notificationCount {
	var c notificationCount
	ids := map[string]bool{}
	alerts := map[string]bool{}
	anonymous := 0
	for _, a := range arrivals {
		if a.RuleID != ruleID || a.Status != status {
			continue
		}
		c.Requests++
		if a.ID != "" {
			if ids[a.ID] {
				c.Repeated++
			}
			ids[a.ID] = true
		}
		for _, id := range a.AlertIDs {
			alerts[id] = true
		}
		// A digest stating more alerts than it names: count the rest too.
		anonymous += max(a.Alerts-len(a.AlertIDs), 0)
		c.MaxInOne = max(c.MaxInOne, a.Alerts)
		c.LastSeconds = max(c.LastSeconds, a.At.Sub(from).Seconds())
	}
	c.AlertsOnce = len(alerts)
	c.Alerts = len(alerts) + anonymous
	return c
}
