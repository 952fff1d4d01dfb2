package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// pingPorts are tried to decide whether a host is up: an accepted or refused
// connection on any of them means something answered.
var pingPorts = []int{22, 80, 443, 445, 3389}

// Limits a caller may ask for, and their defaults.
const (
	defaultConcurrency = 64
	maxConcurrency     = 512
	defaultRate        = 500 // probes per second
	maxRate            = 5000
	defaultTimeout     = time.Second
	maxTimeout         = 10 * time.Second
)

// Scanner is the TCP scanner.
type Scanner struct{}

// New returns the scanner.
func New() *Scanner { return &Scanner{} }

func (*Scanner) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "tcpscan", Version: version, Description: "TCP connect sweep and port scan"}, nil
}

type plan struct {
	prefixes    []netip.Prefix
	ports       []int // ports to report as open
	probes      []int // ping ports ∪ ports
	concurrency int
	interval    time.Duration
	timeout     time.Duration
}

func makePlan(spec sdk.TargetSpec) (plan, error) {
	p := plan{concurrency: defaultConcurrency, timeout: defaultTimeout}
	var err error
	if p.prefixes, err = sdk.ParseTargets(spec.Targets); err != nil {
		return p, err
	}
	for _, port := range spec.Ports {
		if port < 1 || port > 65535 {
			return p, sdk.Invalidf("port %d out of range", port)
		}
	}
	if len(spec.Ports) > 1024 {
		return p, sdk.Invalidf("%d ports: at most 1024", len(spec.Ports))
	}
	p.ports = slices.Compact(slices.Sorted(slices.Values(spec.Ports)))
	p.probes = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(pingPorts), p.ports...))))
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

func (s *Scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	p, err := makePlan(spec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tick := time.NewTicker(p.interval)
	defer tick.Stop()

	addrs := make(chan netip.Addr)
	var (
		mu      sync.Mutex
		emitErr error
		wg      sync.WaitGroup
	)
	for range p.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range addrs {
				asset, alive := probeHost(ctx, a, p, tick.C)
				if !alive {
					continue
				}
				mu.Lock()
				if emitErr == nil {
					if err := emit(asset); err != nil {
						emitErr = err
						cancel()
					}
				}
				mu.Unlock()
			}
		}()
	}
	sdk.Hosts(p.prefixes, func(a netip.Addr) bool {
		select {
		case addrs <- a:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(addrs)
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// probeHost connects to every probe port, paced by the shared ticker.
func probeHost(ctx context.Context, a netip.Addr, p plan, tick <-chan time.Time) (sdk.Asset, bool) {
	asset := sdk.Asset{IP: a.String()}
	var rtt time.Duration
	for _, port := range p.probes {
		select {
		case <-ctx.Done():
			return asset, false
		case <-tick:
		}
		start := time.Now()
		open, answered := dial(ctx, a, port, p.timeout)
		if answered {
			if !asset.Alive {
				rtt = time.Since(start)
			}
			asset.Alive = true
		}
		if open && slices.Contains(p.ports, port) {
			asset.OpenPorts = append(asset.OpenPorts, port)
		}
	}
	asset.RTT = rtt
	if asset.Alive {
		asset.Attributes = map[string]string{"method": "tcp-connect"}
	}
	return asset, asset.Alive && ctx.Err() == nil
}

// dial reports whether port accepted a connection and whether the host
// answered at all (accepted or actively refused).
func dial(ctx context.Context, a netip.Addr, port int, timeout time.Duration) (open, answered bool) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
	if err == nil {
		_ = c.Close()
		return true, true
	}
	return false, errors.Is(err, syscall.ECONNREFUSED)
}
