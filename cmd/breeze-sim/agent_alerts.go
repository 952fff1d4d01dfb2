package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The alerts phase drives the agents' CPU and links through shard
// commands with arguments (one line each):
//
//	cpu calm        every agent reports a calm CPU from now on (answer: calmed)
//	hot N DUR       N linked agents report a hot CPU at once, and each notes
//	                when it sent the sample completing a rule of duration DUR
//	                (answer: hot, with their device ids)
//	calm            the hot agents turn calm and note their first calm sample
//	drop N          N linked agents (never hot ones) close their links and
//	                stay away (answer: dropped, with their device ids)
//	rejoin          the dropped agents link again (answer: rejoined)
//
// The agents' notes go up as evAlertSamples with the dispatch samples'
// flush.
const (
	cmdCPUCalm = "cpu calm"
	cmdHot     = "hot"
	cmdCalm    = "calm"
	cmdDrop    = "drop"
	cmdRejoin  = "rejoin"
)

// Events of the alerts phase.
const (
	evCalmed       = "calmed"
	evHot          = "hot"
	evCooled       = "cooled"
	evDropped      = "dropped"
	evRejoined     = "rejoined"
	evAlertSamples = "alertSamples"
)

// CPU values: calm stays far below a 90 % threshold, hot far above.
const (
	calmCPUMin, calmCPUMax = 5.0, 30.0
	hotCPUMin, hotCPUMax   = 95.0, 99.9
)

// alertSample is one agent's note; zero fields say nothing new. Times are
// the send times of heartbeats (unix ns, the sample's own "at").
type alertSample struct {
	Device string `json:"d"`
	Hot    int64  `json:"h,omitempty"` // first hot heartbeat
	Done   int64  `json:"o,omitempty"` // first hot heartbeat at ≥ Hot + the rule's duration
	Calm   int64  `json:"c,omitempty"` // first calm heartbeat after the hot spell
}

// alertMark is an agent's part in the latency test (under the agent's mu).
type alertMark struct {
	hot      bool
	dur      time.Duration
	firstHot time.Time
	done     time.Time
	cooling  bool
	calm     time.Time
}

// sent notes a heartbeat sent at at and returns a sample when it reached a
// milestone: the first hot sample, the one completing the duration (the
// server compares the samples' own times, which these are), the first
// calm one after the hot spell.
func (m *alertMark) sent(at time.Time) (alertSample, bool) {
	switch {
	case m.hot:
		fresh := false
		if m.firstHot.IsZero() {
			m.firstHot, fresh = at, true
		}
		if m.done.IsZero() && at.Sub(m.firstHot) >= m.dur {
			m.done, fresh = at, true
		}
		if !fresh {
			return alertSample{}, false
		}
		s := alertSample{Hot: m.firstHot.UnixNano()}
		if !m.done.IsZero() {
			s.Done = m.done.UnixNano()
		}
		return s, true
	case m.cooling && m.calm.IsZero():
		m.calm = at
		return alertSample{Calm: at.UnixNano()}, true
	}
	return alertSample{}, false
}

// cpuPercent is the CPU the next heartbeat reports (a.mu held): random
// until the alerts phase calms the fleet, hot for the agents it picked.
func (a *agent) cpuPercent() float64 {
	switch {
	case a.al != nil && a.al.hot:
		return hotCPUMin + rand.Float64()*(hotCPUMax-hotCPUMin)
	case a.s.calm.Load():
		return calmCPUMin + rand.Float64()*(calmCPUMax-calmCPUMin)
	}
	return float64(rand.IntN(10000)) / 100
}

func (a *agent) heldChan() chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.held
}

// noteAlertSample queues a sample for the parent.
func (s *shard) noteAlertSample(smp alertSample) {
	s.sampleMu.Lock()
	s.alertSamples = append(s.alertSamples, smp)
	s.sampleMu.Unlock()
}

func (s *shard) takeAlertSamples() []alertSample {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	out := s.alertSamples
	s.alertSamples = nil
	return out
}

// alertCommand obeys one alerts-phase command; false when c is none.
func (s *shard) alertCommand(c string) bool {
	f := strings.Fields(c)
	if len(f) == 0 {
		return false
	}
	n := 0
	if len(f) > 1 {
		n, _ = strconv.Atoi(f[1])
	}
	switch {
	case c == cmdCPUCalm:
		s.calm.Store(true)
		s.emit(event{Ev: evCalmed, IntervalMs: s.intervalMs()})
	case f[0] == cmdHot && len(f) == 3:
		dur, err := time.ParseDuration(f[2])
		if err != nil {
			dur = 0
		}
		s.emit(event{Ev: evHot, DeviceIDs: s.goHot(n, dur), At: time.Now().UnixNano()})
	case c == cmdCalm:
		s.emit(event{Ev: evCooled, Expected: s.cool()})
	case f[0] == cmdDrop && len(f) == 2:
		ids := s.drop(n)
		s.emit(event{Ev: evDropped, DeviceIDs: ids, At: time.Now().UnixNano()})
	case c == cmdRejoin:
		n := s.rejoin()
		s.emit(event{Ev: evRejoined, Expected: n, At: time.Now().UnixNano()})
	default:
		return false
	}
	return true
}

// intervalMs is the heartbeat interval of a linked agent (0: none linked).
func (s *shard) intervalMs() int64 {
	for _, a := range s.agents {
		a.mu.Lock()
		iv, linked := a.interval, a.conn != nil
		a.mu.Unlock()
		if linked {
			return iv.Milliseconds()
		}
	}
	return 0
}

// goHot turns n linked agents hot, each sending a hot heartbeat at once
// (so the whole set goes hot together), and returns their device ids.
func (s *shard) goHot(n int, dur time.Duration) []string {
	var ids []string
	for _, a := range s.agents {
		if len(ids) >= n {
			break
		}
		a.mu.Lock()
		if a.conn != nil && a.held == nil && a.al == nil {
			a.al = &alertMark{hot: true, dur: dur}
			a.writeHeartbeat(a.conn)
			ids = append(ids, a.deviceID)
		}
		a.mu.Unlock()
	}
	return ids
}

// cool turns the hot agents calm, each with a calm heartbeat at once, and
// returns how many.
func (s *shard) cool() int {
	n := 0
	for _, a := range s.agents {
		a.mu.Lock()
		if a.al != nil && a.al.hot {
			a.al.hot, a.al.cooling = false, true
			if a.conn != nil {
				a.writeHeartbeat(a.conn)
			}
			n++
		}
		a.mu.Unlock()
	}
	return n
}

// drop closes the links of n linked agents, from the end of the shard and
// never a hot one, and keeps them away until rejoin.
func (s *shard) drop(n int) []string {
	if s.rejoinC == nil {
		s.rejoinC = make(chan struct{})
	}
	var ids []string
	for i := len(s.agents) - 1; i >= 0 && len(ids) < n; i-- {
		a := s.agents[i]
		a.mu.Lock()
		if a.conn != nil && a.held == nil && a.al == nil {
			a.held = s.rejoinC
			a.conn.Close() // the reader ends; run waits on held
			ids = append(ids, a.deviceID)
		}
		a.mu.Unlock()
	}
	return ids
}

// rejoin lets the dropped agents link again and returns how many were held.
func (s *shard) rejoin() int {
	n := 0
	for _, a := range s.agents {
		a.mu.Lock()
		if a.held != nil {
			n++
		}
		a.mu.Unlock()
	}
	if s.rejoinC != nil {
		close(s.rejoinC)
		s.rejoinC = nil
	}
	return n
}
