package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A shard is the part of the fleet one process holds: agents k with
// k % shards == shard. Its parent drives it with one-word lines on its
// input (link, arm, stop) and reads JSON events from its output; a
// single-process run drives its one shard the same way over pipes.

// Commands.
const (
	cmdLink = "link"
	cmdArm  = "arm"
	cmdStop = "stop"
	// cmdDevices asks for the device ids of the agents linked now.
	cmdDevices = "devices"
)

// event is one line a shard writes.
type event struct {
	Ev          string            `json:"ev"`
	Shard       int               `json:"shard"`
	Enrolled    int               `json:"enrolled,omitempty"`
	Failed      int               `json:"failed,omitempty"`
	Linked      int64             `json:"linked,omitempty"`
	FirstLinked int64             `json:"firstLinked,omitempty"`
	GaveUp      int64             `json:"gaveUp,omitempty"`
	Heartbeats  uint64            `json:"heartbeats,omitempty"`
	Expected    int               `json:"expected,omitempty"`
	Lost        int64             `json:"lost,omitempty"`     // progress: armed agents that lost their link
	Relinked    int64             `json:"relinked,omitempty"` // progress: of those, linked again
	At          int64             `json:"at,omitempty"`       // unix ns
	Error       string            `json:"error,omitempty"`
	Report      *shardReport      `json:"report,omitempty"`
	DeviceIDs   []string          `json:"deviceIds,omitempty"`  // evDevices
	DispatchNs  []int64           `json:"dispatchNs,omitempty"` // evSamples: command dispatch latencies
	IntervalMs  int64             `json:"intervalMs,omitempty"` // evCalmed: the agents' heartbeat interval
	Alert       []alertSample     `json:"alert,omitempty"`      // evAlertSamples
	Work        map[string]uint32 `json:"work,omitempty"`       // evWork: uptime command id → deliveries
}

// Event names.
const (
	evEnrolled   = "enrolled"
	evProgress   = "progress"
	evRamped     = "ramped"
	evArmed      = "armed"
	evDisconnect = "disconnect"
	evRelinked   = "relinked"
	evReport     = "report"
	evDevices    = "devices"
	evSamples    = "samples"
)

// shardReport is what a shard saw, merged by the parent.
type shardReport struct {
	Shard           int            `json:"shard"`
	Agents          int            `json:"agents"`
	Enrolled        int            `json:"enrolled"`
	EnrollFailed    uint64         `json:"enrollFailed"`
	LinkedAtStop    int64          `json:"linkedAtStop"`
	PeakLinked      int64          `json:"peakLinked"`
	FirstLinked     int64          `json:"firstLinked"`
	Dials           uint64         `json:"dials"`
	DialFailures    uint64         `json:"dialFailures"`
	Shed            uint64         `json:"shed"`
	Refused         uint64         `json:"refused"`
	Heartbeats      uint64         `json:"heartbeats"`
	HeartbeatErrors uint64         `json:"heartbeatErrors"`
	Inventories     uint64         `json:"inventories"`
	Pongs           uint64         `json:"pongs"`
	Reconnects      uint64         `json:"reconnects"`
	Disconnects     uint64         `json:"disconnects"`
	ErrorFrames     uint64         `json:"errorFrames"`
	LinkMicros      []uint32       `json:"linkMicros"`      // successful attempt: dial → welcome
	FirstLinkMicros []uint32       `json:"firstLinkMicros"` // first attempt → welcome, retries included
	Expected        int            `json:"expected"`
	FirstDisconnect int64          `json:"firstDisconnect"`
	RelinkAt        []int64        `json:"relinkAt"`
	SimRSSKiB       int64          `json:"simRssKiB"`
	Commands        uint64         `json:"commands"`
	CommandRepeats  uint64         `json:"commandRepeats"`
	Echoes          uint64         `json:"terminalEchoes"`
	TerminalsOpened uint64         `json:"terminalsOpened"`
	TerminalsClosed uint64         `json:"terminalsClosed"`
	RemoteWriteErrs uint64         `json:"remoteWriteErrors"`
	Errors          map[string]int `json:"errors,omitempty"`
}

type shard struct {
	cfg     *config
	wsBases []string // the link URLs' bases; agent idx starts on idx % len (--link-servers)
	agents  []*agent
	st      counters

	outMu sync.Mutex
	out   *json.Encoder

	linkedNow, peak, firstLinkedN, gaveUpN atomic.Int64
	linkMicros, firstMicros                []uint32 // by local index; written once by the agent's goroutine
	gaveUp                                 []bool   // by local index; the agent's goroutine only

	armed           atomic.Bool
	expected        int
	relinked        atomic.Int64
	lostN           atomic.Int64 // armed agents that lost their link (counted once each)
	firstDisconnect atomic.Int64
	relinkAt        []int64 // by local index, under the agent's mu

	errMu  sync.Mutex
	errors map[string]int

	workMu       sync.Mutex
	work         map[string]uint32 // schedules phase: uptime command id → deliveries
	sampleMu     sync.Mutex
	samples      []int64       // dispatch latencies (ns) not yet sent to the parent
	alertSamples []alertSample // alerts-phase notes not yet sent

	// alerts phase (agent_alerts.go)
	calm    atomic.Bool   // agents report a calm CPU
	rejoinC chan struct{} // closed to let the dropped agents back; the command loop only
}

func (s *shard) emit(e event) {
	e.Shard = s.cfg.shard
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_ = s.out.Encode(e)
}

// runShard enrolls the shard's agents, then obeys its parent's commands.
func runShard(ctx context.Context, cfg *config, in io.Reader, out io.Writer, stderr io.Writer) error {
	s := &shard{cfg: cfg, wsBases: linkBases(cfg), out: json.NewEncoder(out), errors: map[string]int{}}
	key, err := readKey(cfg.keyFile)
	if err != nil {
		return err
	}
	for k := cfg.shard; k < cfg.agents; k += cfg.shards {
		s.agents = append(s.agents, &agent{s: s, idx: k, local: len(s.agents), srv: k % len(s.wsBases)})
	}
	n := len(s.agents)
	s.linkMicros, s.firstMicros = make([]uint32, n), make([]uint32, n)
	s.gaveUp, s.relinkAt = make([]bool, n), make([]int64, n)

	var w *credWriter
	if cfg.stateDir != "" {
		creds, err := loadCredentials(cfg.stateDir, cfg.shard, cfg.shards, cfg.agents)
		if err != nil {
			return err
		}
		for _, a := range s.agents {
			if c, ok := creds[a.idx]; ok {
				a.deviceID, a.token = c.DeviceID, c.Token
			}
		}
		if w, err = openCredWriter(cfg.stateDir, cfg.shard, cfg.shards); err != nil {
			return err
		}
		defer w.close()
	}

	cmds := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			cmds <- strings.TrimSpace(sc.Text())
		}
		close(cmds) // the parent went away: stop
	}()

	s.enrollAll(ctx, key, w)
	var ready []*agent
	for _, a := range s.agents {
		if a.token != "" {
			ready = append(ready, a)
		}
	}
	s.emit(event{Ev: evEnrolled, Enrolled: len(ready), Failed: n - len(ready)})

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// Dispatch samples go up often: the parent waits for them.
	flush := time.NewTicker(50 * time.Millisecond)
	defer flush.Stop()
	linking, ramped := false, false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case c, ok := <-cmds:
			if !ok {
				break loop
			}
			switch c {
			case cmdLink:
				if !linking {
					linking = true
					wg.Add(1)
					go func() { defer wg.Done(); s.ramp(runCtx, ready, &wg) }()
				}
			case cmdArm:
				s.arm()
			case cmdDevices:
				s.emit(event{Ev: evDevices, DeviceIDs: s.linkedDevices()})
			case cmdWork:
				s.emit(event{Ev: evWork, Work: s.takeWork()})
			case cmdStop:
				break loop
			default:
				if !s.alertCommand(c) {
					s.noteError(fmt.Errorf("unknown command %q from the parent", c))
				}
			}
		case <-flush.C:
			if d := s.takeSamples(); len(d) > 0 {
				s.emit(event{Ev: evSamples, DispatchNs: d})
			}
			if d := s.takeAlertSamples(); len(d) > 0 {
				s.emit(event{Ev: evAlertSamples, Alert: d})
			}
		case <-tick.C:
			if !linking {
				continue
			}
			s.emit(s.progress())
			if !ramped && s.firstLinkedN.Load()+s.gaveUpN.Load() >= int64(len(ready)) {
				ramped = true
				s.emit(event{Ev: evRamped})
			}
		}
	}
	cancel()
	for _, a := range s.agents {
		a.close()
	}
	wg.Wait()
	rep := s.report(len(ready))
	s.emit(event{Ev: evReport, Report: rep})
	return nil
}

// ramp starts the agents at cfg.rate/shards per second.
func (s *shard) ramp(ctx context.Context, agents []*agent, wg *sync.WaitGroup) {
	rate := s.cfg.rate / float64(s.cfg.shards)
	start := time.Now()
	for i, a := range agents {
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if !sleep(ctx, time.Until(at)) {
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		wg.Add(1)
		go func() { defer wg.Done(); a.run(ctx) }()
	}
}

func (s *shard) progress() event {
	return event{Ev: evProgress, Linked: s.linkedNow.Load(), FirstLinked: s.firstLinkedN.Load(),
		GaveUp: s.gaveUpN.Load(), Heartbeats: s.st.heartbeats.Load(), Lost: s.lostN.Load(), Relinked: s.relinked.Load()}
}

// firstLinked records an agent's first link.
func (s *shard) firstLinked(a *agent, attempt, total time.Duration) {
	s.linkMicros[a.local] = micros(attempt)
	s.firstMicros[a.local] = micros(total)
	if s.gaveUp[a.local] {
		s.gaveUp[a.local] = false
		s.gaveUpN.Add(-1)
	}
	s.firstLinkedN.Add(1)
}

// giveUp counts an agent as failed for the ramp-up (it may still link later).
func (s *shard) giveUp(a *agent) {
	if !s.gaveUp[a.local] {
		s.gaveUp[a.local] = true
		s.gaveUpN.Add(1)
	}
}

func (s *shard) linked(a *agent) {
	n := s.linkedNow.Add(1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	if !s.armed.Load() {
		return
	}
	a.mu.Lock()
	relinked := a.expected && a.lost && s.relinkAt[a.local] == 0
	if relinked {
		s.relinkAt[a.local] = time.Now().UnixNano()
	}
	a.mu.Unlock()
	if relinked && s.relinked.Add(1) == int64(s.expected) {
		s.emit(event{Ev: evRelinked, At: time.Now().UnixNano()})
	}
}

func (s *shard) unlinked(a *agent) {
	s.linkedNow.Add(-1)
	if !s.armed.Load() {
		return
	}
	a.mu.Lock()
	first := a.expected && !a.lost
	a.lost = a.lost || a.expected
	a.mu.Unlock()
	if first {
		s.lostN.Add(1)
	}
	if first && s.firstDisconnect.CompareAndSwap(0, time.Now().UnixNano()) {
		s.emit(event{Ev: evDisconnect, At: s.firstDisconnect.Load()})
	}
}

// linkedDevices lists the device ids of the agents linked now.
func (s *shard) linkedDevices() []string {
	var out []string
	for _, a := range s.agents {
		a.mu.Lock()
		if a.conn != nil {
			out = append(out, a.deviceID)
		}
		a.mu.Unlock()
	}
	return out
}

// arm starts the restart test: every agent linked now must come back.
func (s *shard) arm() {
	if s.armed.Swap(true) {
		return
	}
	n := 0
	for _, a := range s.agents {
		a.mu.Lock()
		a.expected = a.conn != nil
		a.mu.Unlock()
		if a.expected {
			n++
		}
	}
	s.expected = n
	s.emit(event{Ev: evArmed, Expected: n})
}

// noteError keeps a tally of distinct errors (their text without addresses).
func (s *shard) noteError(err error) {
	msg := normaliseError(err.Error())
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if _, ok := s.errors[msg]; ok || len(s.errors) < 20 {
		s.errors[msg]++
	}
}

// normaliseError strips what varies between agents (addresses, ports, ids).
func normaliseError(msg string) string {
	msg = varying.ReplaceAllString(msg, "*")
	if len(msg) > 160 {
		msg = msg[:160]
	}
	return msg
}

var varying = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+(:\d+)?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func (s *shard) report(enrolled int) *shardReport {
	r := &shardReport{
		Shard: s.cfg.shard, Agents: len(s.agents), Enrolled: enrolled,
		EnrollFailed: s.st.enrollFailed.Load(), LinkedAtStop: s.linkedNow.Load(), PeakLinked: s.peak.Load(),
		FirstLinked: s.firstLinkedN.Load(),
		Dials:       s.st.dials.Load(), DialFailures: s.st.dialFailures.Load(), Shed: s.st.shed.Load(),
		Refused: s.st.refused.Load(), Heartbeats: s.st.heartbeats.Load(), HeartbeatErrors: s.st.heartbeatErrors.Load(),
		Inventories: s.st.inventories.Load(), Pongs: s.st.pongs.Load(), Reconnects: s.st.reconnects.Load(),
		Disconnects: s.st.disconnects.Load(), ErrorFrames: s.st.errorFrames.Load(),
		Expected: s.expected, FirstDisconnect: s.firstDisconnect.Load(), SimRSSKiB: rssKiB("self"),
		Commands: s.st.commands.Load(), CommandRepeats: s.st.commandRepeats.Load(), Echoes: s.st.echoes.Load(),
		TerminalsOpened: s.st.terminalsOpened.Load(), TerminalsClosed: s.st.terminalsClosed.Load(),
		RemoteWriteErrs: s.st.remoteWriteErrors.Load(),
	}
	for i := range s.agents {
		if s.linkMicros[i] > 0 {
			r.LinkMicros = append(r.LinkMicros, s.linkMicros[i])
			r.FirstLinkMicros = append(r.FirstLinkMicros, s.firstMicros[i])
		}
		if s.relinkAt[i] > 0 {
			r.RelinkAt = append(r.RelinkAt, s.relinkAt[i])
		}
	}
	s.errMu.Lock()
	if len(s.errors) > 0 {
		r.Errors = s.errors
	}
	s.errMu.Unlock()
	return r
}

func micros(d time.Duration) uint32 {
	us := d.Microseconds()
	if us < 1 {
		us = 1
	}
	if us > 1<<32-1 {
		us = 1<<32 - 1
	}
	return uint32(us)
}

// percentile of sorted values (p in 0..100), by nearest rank: the
// smallest value with at least p% of the values at or below it (so a
// tail percentile of few samples is not flattered).
func percentile[T int64 | uint32](sorted []T, p float64) T {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	return sorted[min(max(rank-1, 0), len(sorted)-1)]
}

func sortedCopy[T int64 | uint32](v []T) []T {
	out := append([]T(nil), v...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
