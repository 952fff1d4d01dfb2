package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// Limits a caller may ask for, and their defaults. Concurrency is the number
// of probes awaiting an answer at once; the rate counts probes sent.
const (
	defaultConcurrency = 1024
	maxConcurrency     = 4096
	defaultRate        = 1000 // probes per second
	maxRate            = 10000
	defaultTimeout     = time.Second
	maxTimeout         = 10 * time.Second
	maxRetries         = 3
	rdnsWorkers        = 32
)

// Scanner is the network sweep.
type Scanner struct{}

// New returns the scanner.
func New() *Scanner { return &Scanner{} }

func (*Scanner) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "netsweep", Version: version, Description: "ICMP echo sweep, neighbour (ARP) table and reverse DNS"}, nil
}

type plan struct {
	addrs       []netip.Addr // IPv4 only: ICMPv6 and NDP are not swept (yet)
	icmp, arp   bool
	rdns        bool
	resolver    string // host:port, or "" for the system's
	retries     int
	concurrency int
	interval    time.Duration
	timeout     time.Duration
}

func makePlan(spec sdk.TargetSpec) (plan, error) {
	p := plan{concurrency: defaultConcurrency, timeout: defaultTimeout}
	prefixes, err := sdk.ParseTargets(spec.Targets)
	if err != nil {
		return p, err
	}
	sdk.Hosts(prefixes, func(a netip.Addr) bool {
		if a.Is4() {
			p.addrs = append(p.addrs, a)
		}
		return true
	})
	methods := spec.Options["methods"]
	if strings.TrimSpace(methods) == "" {
		methods = "icmp,arp,rdns"
	}
	for _, m := range strings.Split(methods, ",") {
		switch strings.TrimSpace(strings.ToLower(m)) {
		case "icmp":
			p.icmp = true
		case "arp":
			p.arp = true
		case "rdns":
			p.rdns = true
		case "":
		default:
			return p, sdk.Invalidf("method %q: want icmp, arp or rdns", m)
		}
	}
	if !p.icmp && !p.arp {
		// Names are looked up for live hosts only: rdns alone still
		// needs the probes that tell which hosts are live.
		p.icmp, p.arp = true, true
	}
	if r := strings.TrimSpace(spec.Options["resolver"]); r != "" {
		if !strings.Contains(r, ":") || strings.HasSuffix(r, "]") {
			r = net.JoinHostPort(strings.Trim(r, "[]"), "53")
		}
		if _, err := netip.ParseAddrPort(r); err != nil {
			return p, sdk.Invalidf("resolver %q: want an address and optional port (10.0.0.53:53)", spec.Options["resolver"])
		}
		p.resolver = r
	}
	if s := spec.Options["retries"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxRetries {
			return p, sdk.Invalidf("retries %q: want 0..%d", s, maxRetries)
		}
		p.retries = n
	}
	if spec.Concurrency > 0 {
		p.concurrency = min(spec.Concurrency, maxConcurrency)
	}
	rate := defaultRate
	if spec.RatePerSecond > 0 {
		rate = min(spec.RatePerSecond, maxRate)
	}
	p.interval = time.Second / time.Duration(rate)
	if spec.Timeout > 0 {
		p.timeout = min(spec.Timeout, maxTimeout)
	}
	return p, nil
}

// found is what the sweep learnt about one live address.
type found struct {
	rtt    time.Duration
	icmp   bool
	arp    bool
	mac    string
	names  []string
	seenBy []string
}

func (s *Scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	p, err := makePlan(spec)
	if err != nil {
		return err
	}
	live := map[netip.Addr]*found{}
	socket := ""
	began := time.Now()
	// ARP first, from a packet socket where there is one: an address on an
	// attached network that did not answer ARP cannot answer ICMP either, so
	// only the ones that did (and the off-link targets) get an echo request.
	// That spares the kernel's neighbour table thousands of doomed
	// resolutions (it holds ~1024 at once), which is what bounds an ICMP
	// sweep of a large local range. It filters an ICMP-only sweep too (the
	// same hosts answer), but then its answers are not reported: the
	// methods asked for are what an asset is seen by.
	var (
		arpMACs map[netip.Addr]string
		onLink  map[netip.Addr]bool
		arpRan  bool
		pings   map[netip.Addr]time.Duration
		arpErr  error
	)
	icmpPlan := p
	if p.arp || p.icmp {
		arpMACs, onLink, arpRan, arpErr = arpSweep(ctx, p)
		if arpErr != nil {
			return arpErr
		}
		if arpRan {
			icmpPlan.addrs = slices.DeleteFunc(slices.Clone(p.addrs), func(a netip.Addr) bool {
				_, answered := arpMACs[a]
				return onLink[a] && !answered
			})
		}
	}
	if p.icmp && len(icmpPlan.addrs) > 0 {
		var err error
		if pings, socket, err = ping(ctx, icmpPlan); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for a, rtt := range pings {
		live[a] = &found{rtt: rtt, icmp: true}
	}
	if !p.arp {
		arpMACs = nil
	}
	for a, mac := range arpMACs {
		f := live[a]
		if f == nil {
			f = &found{}
			live[a] = f
		}
		f.arp, f.mac = true, mac
	}
	if p.arp && !arpRan {
		// No packet socket: the kernel's neighbour table, after probes
		// that make the kernel resolve the addresses.
		if !p.icmp {
			udpNudge(ctx, p)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		in := make(map[netip.Addr]bool, len(p.addrs))
		for _, a := range p.addrs {
			in[a] = true
		}
		for a, n := range readNeighbours(ctx, in, !p.icmp) {
			f := live[a]
			fresh := n.live(began)
			if fresh && f == nil {
				f = &found{}
				live[a] = f
			}
			if f != nil {
				f.arp, f.mac = fresh, n.mac
			}
		}
	}
	arpVia := "packet"
	if !arpRan {
		arpVia = "neighbours"
	}
	addrs := slices.SortedFunc(func(yield func(netip.Addr) bool) {
		for a := range live {
			if !yield(a) {
				return
			}
		}
	}, netip.Addr.Compare)
	if p.rdns {
		lookupAll(ctx, p, addrs, live)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	for _, a := range addrs {
		if err := emit(asset(a, live[a], socket, arpVia)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func asset(a netip.Addr, f *found, socket, arpVia string) sdk.Asset {
	var seen []string
	attrs := map[string]string{}
	if f.icmp {
		seen = append(seen, "icmp")
		attrs["rttMs"] = strconv.FormatFloat(float64(f.rtt.Microseconds())/1000, 'f', 3, 64)
		attrs["icmpSocket"] = socket
	}
	if f.arp {
		seen = append(seen, "arp")
		attrs["arpVia"] = arpVia
	}
	out := sdk.Asset{IP: a.String(), MAC: f.mac, Alive: true, RTT: f.rtt, Attributes: attrs}
	if len(f.names) > 0 {
		seen = append(seen, "rdns")
		out.Hostname = f.names[0]
		attrs["rdns.names"] = strings.Join(f.names, ",")
	}
	attrs["seenBy"] = strings.Join(seen, ",")
	return out
}

// lookupAll resolves the names of the live hosts, a few at a time.
func lookupAll(ctx context.Context, p plan, addrs []netip.Addr, live map[netip.Addr]*found) {
	work := make(chan netip.Addr)
	var wg sync.WaitGroup
	for range min(rdnsWorkers, max(len(addrs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				names, _ := lookupPTR(ctx, p.resolver, a, p.timeout) // no name is no fact, not an error
				live[a].names = names                                // each worker writes its own entry
			}
		}()
	}
	for _, a := range addrs {
		select {
		case work <- a:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}
