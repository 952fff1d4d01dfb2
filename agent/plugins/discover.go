package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
)

// MaxAssets bounds one discover result that is not streamed (it must fit
// one result frame); a streamed one has no bound.
const MaxAssets = 4096

// Asset is one entry of discover's result Data (a JSON array) or of a page.
type Asset = protocol.DiscoverAsset

// ErrNotScanner: discover named a plugin that is not a running scanner here.
var ErrNotScanner = errors.New("not a running scanner plugin on this agent")

var errTooMany = errors.New("too many assets")

// PageFlushEvery is how long found assets wait for their page to fill
// before they are sent anyway (progress keeps moving on a slow scan).
var PageFlushEvery = 2 * time.Second

// Discover runs the named scanner plugin's Scan and returns what it found
// (never nil, so an empty result is "[]"); note says when it was cut short.
func (m *Manager) Discover(ctx context.Context, d protocol.DiscoverPayload) (assets []Asset, note string, err error) {
	assets = []Asset{}
	err = m.scan(ctx, d, func(a sdk.Asset) error {
		if len(assets) == MaxAssets {
			return errTooMany
		}
		assets = append(assets, assetOf(a))
		return nil
	})
	if len(assets) == MaxAssets {
		return assets, fmt.Sprintf("%d assets (stopped at the limit)", MaxAssets), nil
	}
	if err != nil {
		return nil, "", err
	}
	return assets, fmt.Sprintf("%d assets", len(assets)), nil
}

// PageSink sends one page of a streaming discover (the executor turns it
// into a TypeDiscoverPage frame); an error ends the scan.
type PageSink func(ctx context.Context, assets []Asset, scanned int) error

// DiscoverPages runs the scanner and hands its assets to sink in pages of
// at most protocol.MaxDiscoverPageAssets, as they come (a page also goes
// when it waited PageFlushEvery), so a /16 is never held in memory or one
// frame. scanned is how far through the targets the scanner got: the
// position of the furthest host it reported, all of them at the end.
func (m *Manager) DiscoverPages(ctx context.Context, d protocol.DiscoverPayload, sink PageSink) (protocol.DiscoverCounts, error) {
	var counts protocol.DiscoverCounts
	idx := newTargetIndex(d.Targets)
	var (
		mu      sync.Mutex
		pending []Asset
		scanned int
		sinkErr error
	)
	// flush sends what waits; mu held.
	flush := func() error {
		if sinkErr != nil {
			return sinkErr
		}
		if len(pending) == 0 {
			return nil
		}
		if err := sink(ctx, pending, scanned); err != nil {
			sinkErr = err
			return err
		}
		counts.Pages++
		counts.Assets += len(pending)
		pending = nil
		return nil
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the timer flush
		defer close(done)
		t := time.NewTicker(PageFlushEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				_ = flush()
				mu.Unlock()
			}
		}
	}()
	err := m.scan(ctx, d, func(a sdk.Asset) error {
		mu.Lock()
		defer mu.Unlock()
		if sinkErr != nil {
			return sinkErr
		}
		scanned = max(scanned, idx.position(a.IP))
		pending = append(pending, assetOf(a))
		if len(pending) >= protocol.MaxDiscoverPageAssets {
			return flush()
		}
		return nil
	})
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if err == nil {
		scanned = max(scanned, idx.total)
	}
	if ferr := flush(); err == nil {
		err = ferr
	}
	counts.Scanned = scanned
	return counts, err
}

func assetOf(a sdk.Asset) Asset {
	return Asset{IP: a.IP, Hostname: a.Hostname, MAC: a.MAC, Alive: a.Alive, OpenPorts: a.OpenPorts,
		RTTMs: float64(a.RTT) / float64(time.Millisecond), Attributes: a.Attributes}
}

// scan runs the named scanner plugin with emit.
func (m *Manager) scan(ctx context.Context, d protocol.DiscoverPayload, emit func(sdk.Asset) error) error {
	p := m.running(d.Plugin)
	if p == nil || p.offer.Kind != string(sdk.KindScanner) {
		return fmt.Errorf("plugin %q: %w", protocol.Abbrev(d.Plugin, 48), ErrNotScanner)
	}
	sc, err := p.sup.Scanner()
	if err != nil {
		return fmt.Errorf("plugin %q: %w", d.Plugin, err)
	}
	spec, err := targetSpec(d)
	if err != nil {
		return err
	}
	if err := sc.Scan(ctx, spec, emit); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}

// targetSpec maps the payload; Options may set concurrency, ratePerSecond
// and timeoutMs (numbers); any other key must be a string and is passed
// on, as are the Secrets.
func targetSpec(d protocol.DiscoverPayload) (sdk.TargetSpec, error) {
	spec := sdk.TargetSpec{Targets: d.Targets, Ports: d.Ports}
	for k, v := range d.Secrets {
		if spec.Options == nil {
			spec.Options = map[string]string{}
		}
		spec.Options[k] = v
	}
	if len(d.Options) == 0 || string(d.Options) == "null" {
		return spec, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(d.Options, &raw); err != nil {
		return spec, fmt.Errorf("discover options: want an object: %w", err)
	}
	for k, v := range raw {
		var err error
		switch k {
		case "concurrency":
			err = json.Unmarshal(v, &spec.Concurrency)
		case "ratePerSecond":
			err = json.Unmarshal(v, &spec.RatePerSecond)
		case "timeoutMs":
			var ms int
			err = json.Unmarshal(v, &ms)
			spec.Timeout = time.Duration(ms) * time.Millisecond
		default:
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				if spec.Options == nil {
					spec.Options = map[string]string{}
				}
				spec.Options[k] = s
			}
		}
		if err != nil {
			return spec, fmt.Errorf("discover option %q: %w", protocol.Abbrev(k, 48), err)
		}
	}
	return spec, nil
}

// targetIndex numbers the addresses of a target list in order, for
// progress: the targets' total size and a host's position.
type targetIndex struct {
	prefixes []netip.Prefix
	offsets  []int
	total    int
}

func newTargetIndex(targets []string) targetIndex {
	var ix targetIndex
	for _, t := range targets {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			a, aerr := netip.ParseAddr(t)
			if aerr != nil {
				continue // a name or a range: not counted
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 24 {
			continue // beyond any profile's size
		}
		ix.prefixes = append(ix.prefixes, p)
		ix.offsets = append(ix.offsets, ix.total)
		ix.total += 1 << hostBits
	}
	return ix
}

// position is one past ip's index in the targets (0 when it is in none).
func (ix targetIndex) position(ip string) int {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return 0
	}
	a = a.Unmap()
	for i, p := range ix.prefixes {
		if p.Contains(a) {
			return ix.offsets[i] + low32(a) - low32(p.Addr()) + 1
		}
	}
	return 0
}

// low32 is the address's last 32 bits (a prefix here spans at most 24).
func low32(a netip.Addr) int {
	b := a.AsSlice()
	n := len(b)
	return int(b[n-4])<<24 | int(b[n-3])<<16 | int(b[n-2])<<8 | int(b[n-1])
}
