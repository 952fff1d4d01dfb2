package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/protocol"
)

// fakeProber answers discovers from a table of live hosts per plugin; a
// plugin absent from running is not running.
type fakeProber struct {
	mu      sync.Mutex
	running map[string]bool
	alive   map[string]map[string]float64 // plugin → ip → rtt
	fail    map[string]error              // plugin → error of every call
	block   bool                          // calls wait for their ctx
	calls   []protocol.DiscoverPayload
	started chan context.Context
}

func newProber() *fakeProber {
	return &fakeProber{running: map[string]bool{PluginICMP: true, PluginTCP: true, PluginSNMP: true},
		alive: map[string]map[string]float64{}, fail: map[string]error{}, started: make(chan context.Context, 16)}
}

func (f *fakeProber) up(plugin, ip string, rtt float64) {
	if f.alive[plugin] == nil {
		f.alive[plugin] = map[string]float64{}
	}
	f.alive[plugin][ip] = rtt
}

func (f *fakeProber) Discover(ctx context.Context, p protocol.DiscoverPayload) ([]protocol.DiscoverAsset, string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, p)
	block, running, fail := f.block, f.running[p.Plugin], f.fail[p.Plugin]
	f.mu.Unlock()
	select {
	case f.started <- ctx:
	default:
	}
	if block {
		<-ctx.Done()
		return nil, "", fmt.Errorf("scan: %w", ctx.Err())
	}
	if !running {
		return nil, "", fmt.Errorf("plugin %q: %w", p.Plugin, plugins.ErrNotScanner)
	}
	if fail != nil {
		return nil, "", fail
	}
	out := []protocol.DiscoverAsset{}
	for _, ip := range p.Targets {
		if rtt, ok := f.alive[p.Plugin][ip]; ok {
			out = append(out, protocol.DiscoverAsset{IP: ip, Alive: true, RTTMs: rtt})
		}
	}
	return out, "", nil
}

func (f *fakeProber) callsOf(plugin string) []protocol.DiscoverPayload {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []protocol.DiscoverPayload
	for _, c := range f.calls {
		if c.Plugin == plugin {
			out = append(out, c)
		}
	}
	return out
}

// fakeSender records reports; err, when set, refuses them.
type fakeSender struct {
	mu      sync.Mutex
	err     error
	reports chan protocol.WatchReport
}

func (s *fakeSender) Send(_ context.Context, v any) error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.reports <- v.(protocol.WatchReport)
	return nil
}

func byID(res []protocol.WatchResult) map[string]protocol.WatchResult {
	out := map[string]protocol.WatchResult{}
	for _, r := range res {
		out[r.ID] = r
	}
	return out
}

func roundOf(t *testing.T, p *fakeProber, f protocol.Watch) map[string]protocol.WatchResult {
	t.Helper()
	l, _ := compile(f)
	w := New(Deps{Prober: p, Sender: &fakeSender{}})
	res := w.round(context.Background(), l)
	if len(res) != len(l.entries) {
		t.Fatalf("%d results for %d entries", len(res), len(l.entries))
	}
	return byID(res)
}

// ICMP for all, TCP for the rest with ports (one scan per port set), SNMP
// for the rest with SNMP settings: each host up through the first probe
// that answers, down when none does.
func TestFallbacksICMPThenTCPThenSNMP(t *testing.T) {
	p := newProber()
	p.up(PluginICMP, "10.0.0.1", 1.5)
	p.up(PluginTCP, "10.0.0.1", 9) // would answer too: never asked
	p.up(PluginTCP, "10.0.0.2", 2.5)
	p.up(PluginSNMP, "10.0.0.3", 3.5)
	snmp := &protocol.WatchSNMP{Options: []byte(`{"version":"2c"}`), Secrets: map[string]string{"community": "s3cret"}}
	got := roundOf(t, p, protocol.Watch{Hosts: []protocol.WatchHost{
		{ID: "icmp", IP: "10.0.0.1", Ports: []int{80}},
		{ID: "tcp", IP: "10.0.0.2", Ports: []int{443, 80, 80}},
		{ID: "snmp", IP: "10.0.0.3", Ports: []int{80}, SNMP: snmp},
		{ID: "down", IP: "10.0.0.4", Ports: []int{22}, SNMP: snmp},
		{ID: "plain-down", IP: "::ffff:10.0.0.5"},
	}})
	want := map[string]protocol.WatchResult{
		"icmp":       {ID: "icmp", Up: true, Via: "icmp", RTTMs: 1.5},
		"tcp":        {ID: "tcp", Up: true, Via: "tcp", RTTMs: 2.5},
		"snmp":       {ID: "snmp", Up: true, Via: "snmp", RTTMs: 3.5},
		"down":       {ID: "down"},
		"plain-down": {ID: "plain-down"},
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}
	icmp := p.callsOf(PluginICMP)
	if len(icmp) != 1 || !slices.Equal(icmp[0].Targets, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}) ||
		!strings.Contains(string(icmp[0].Options), `"methods":"icmp"`) {
		t.Fatalf("icmp calls %+v", icmp)
	}
	var tcp []string // one scan per port set, never for a host already up
	for _, c := range p.callsOf(PluginTCP) {
		tcp = append(tcp, fmt.Sprint(c.Ports, c.Targets))
	}
	if !slices.Equal(tcp, []string{"[80 443] [10.0.0.2]", "[80] [10.0.0.3]", "[22] [10.0.0.4]"}) {
		t.Fatalf("tcp calls %v", tcp)
	}
	sn := p.callsOf(PluginSNMP)
	if len(sn) != 1 || !slices.Equal(sn[0].Targets, []string{"10.0.0.3", "10.0.0.4"}) || sn[0].Secrets["community"] != "s3cret" ||
		string(sn[0].Options) != `{"version":"2c"}` {
		t.Fatalf("snmp calls %+v", sn)
	}
}

// A plugin that is not running: the hosts it would have decided get Err,
// unless another probe said up; a failing one says why.
func TestPluginNotRunning(t *testing.T) {
	p := newProber()
	p.running[PluginICMP] = false
	p.fail[PluginSNMP] = errors.New("scan: boom")
	p.up(PluginTCP, "10.0.0.2", 2)
	got := roundOf(t, p, protocol.Watch{Hosts: []protocol.WatchHost{
		{ID: "icmp-only", IP: "10.0.0.1"},
		{ID: "tcp-up", IP: "10.0.0.2", Ports: []int{80}},
		{ID: "tcp-down", IP: "10.0.0.3", Ports: []int{80}},
		{ID: "snmp-failed", IP: "10.0.0.4", SNMP: &protocol.WatchSNMP{}},
	}})
	const notRunning = "breeze.netsweep is not running on this agent"
	want := map[string]protocol.WatchResult{
		"icmp-only":   {ID: "icmp-only", Err: notRunning},
		"tcp-up":      {ID: "tcp-up", Up: true, Via: "tcp", RTTMs: 2},
		"tcp-down":    {ID: "tcp-down", Err: notRunning},
		"snmp-failed": {ID: "snmp-failed", Err: notRunning + "; breeze.snmp: scan: boom"},
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}
	// A watcher without plugins: every host with Err.
	none := newProber()
	none.running = map[string]bool{}
	for id, r := range roundOf(t, none, protocol.Watch{Hosts: []protocol.WatchHost{{ID: "a", IP: "10.0.0.1", Ports: []int{22}}}}) {
		if r.Up || r.Err != "breeze.netsweep is not running on this agent; breeze.tcpscan is not running on this agent" {
			t.Errorf("%s: %+v", id, r)
		}
	}
}

// Bad hosts are reported with Err and never probed.
func TestBadHostsGetErr(t *testing.T) {
	p := newProber()
	hosts := []protocol.WatchHost{
		{ID: "junk", IP: "not-an-ip"},
		{ID: "empty", IP: ""},
		{ID: "loop", IP: "127.0.0.1"},
		{ID: "loop6", IP: "::1"},
		{ID: "unspec", IP: "0.0.0.0"},
		{ID: "mcast", IP: "224.0.0.1"},
		{ID: "mcast6", IP: "ff02::1"},
		{ID: "bcast", IP: "255.255.255.255"},
		{ID: "port", IP: "10.0.0.9", Ports: []int{0}},
		{ID: "ok", IP: "10.0.0.1"},
		{ID: "ok", IP: "10.0.0.2"},
		{ID: "", IP: "10.0.0.3"}, // cannot be reported: dropped
	}
	got := roundOf(t, p, protocol.Watch{Hosts: hosts})
	if len(got) != 10 {
		t.Fatalf("results %+v", got)
	}
	for _, h := range hosts[:9] {
		if r := got[h.ID]; r.Up || r.Err == "" {
			t.Errorf("%s (%q): %+v", h.ID, h.IP, r)
		}
	}
	if r := got["ok"]; !strings.Contains(r.Err, "twice") { // the second "ok"; the first is probed below
		t.Errorf("ok: %+v", r)
	}
	calls := p.callsOf(PluginICMP)
	if len(calls) != 1 || !slices.Equal(calls[0].Targets, []string{"10.0.0.1"}) {
		t.Fatalf("probed %+v", calls)
	}
	if !strings.Contains(got["junk"].Err, "not an IP address") || !strings.Contains(got["loop"].Err, "loopback") ||
		!strings.Contains(got["mcast6"].Err, "multicast") || !strings.Contains(got["port"].Err, "port 0") {
		t.Errorf("messages %+v", got)
	}

	// Past the limit: refused with the limit named, not probed.
	var many []protocol.WatchHost
	for i := range protocol.MaxWatchHosts + 2 {
		many = append(many, protocol.WatchHost{ID: fmt.Sprint("h", i), IP: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)})
	}
	l, dropped := compile(protocol.Watch{Hosts: many})
	if dropped != 0 || len(l.entries) != protocol.MaxWatchHosts+2 || l.entries[protocol.MaxWatchHosts-1].err != "" ||
		!strings.Contains(l.entries[protocol.MaxWatchHosts].err, "1024") {
		t.Fatalf("limit: dropped %d, %d entries", dropped, len(l.entries))
	}
}

func TestIntervalClamped(t *testing.T) {
	for secs, want := range map[int]time.Duration{0: time.Minute, 1: 15 * time.Second, -5: 15 * time.Second,
		15: 15 * time.Second, 90: 90 * time.Second, 3600: time.Hour, 86400: time.Hour} {
		if l, _ := compile(protocol.Watch{IntervalSeconds: secs}); l.interval != want {
			t.Errorf("%d s: %v, want %v", secs, l.interval, want)
		}
	}
}

// A Watcher sends one report per round, of the current list; a new list
// cancels the running round (its report never goes) and an empty one stops
// watching.
func TestNewListCancelsTheRound(t *testing.T) {
	p := newProber()
	p.block = true
	p.up(PluginICMP, "10.0.0.2", 1)
	s := &fakeSender{reports: make(chan protocol.WatchReport, 4)}
	w := New(Deps{Prober: p, Sender: s, Jitter: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	w.Set(protocol.Watch{Header: protocol.Header{Type: protocol.TypeWatch}, Hosts: []protocol.WatchHost{{ID: "old", IP: "10.0.0.1"}}})
	var rctx context.Context
	select {
	case rctx = <-p.started:
	case <-time.After(5 * time.Second):
		t.Fatal("no round")
	}
	p.mu.Lock()
	p.block = false
	p.mu.Unlock()
	w.Set(protocol.Watch{IntervalSeconds: 3600, Hosts: []protocol.WatchHost{{ID: "new", IP: "10.0.0.2"}}})
	select {
	case <-rctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the old list's round was not cancelled")
	}
	select {
	case r := <-s.reports:
		if r.Type != protocol.TypeWatchReport || len(r.Results) != 1 ||
			r.Results[0] != (protocol.WatchResult{ID: "new", Up: true, Via: "icmp", RTTMs: 1}) {
			t.Fatalf("report %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report of the new list")
	}
	// The same list again (a reconnect): nothing restarts.
	n := len(p.callsOf(PluginICMP))
	w.Set(protocol.Watch{IntervalSeconds: 3600, Hosts: []protocol.WatchHost{{ID: "new", IP: "10.0.0.2"}}})
	w.Set(protocol.Watch{}) // stop
	time.Sleep(50 * time.Millisecond)
	if len(p.callsOf(PluginICMP)) != n || len(s.reports) != 0 {
		t.Fatalf("probed or reported after the stop: %d calls, %d reports", len(p.callsOf(PluginICMP))-n, len(s.reports))
	}
}

// A report the link cannot take is dropped; the next round reports again.
func TestReportDroppedWhenUnlinked(t *testing.T) {
	p := newProber()
	s := &fakeSender{err: errors.New("link is down"), reports: make(chan protocol.WatchReport, 1)}
	w := New(Deps{Prober: p, Sender: s})
	l, _ := compile(protocol.Watch{Hosts: []protocol.WatchHost{{ID: "a", IP: "10.0.0.1"}}})
	w.report(context.Background(), w.round(context.Background(), l))
	s.mu.Lock()
	s.err = nil
	s.mu.Unlock()
	w.report(context.Background(), w.round(context.Background(), l))
	if r := <-s.reports; len(r.Results) != 1 || r.Results[0] != (protocol.WatchResult{ID: "a"}) {
		t.Fatalf("report %+v", r)
	}
}
