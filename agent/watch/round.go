package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/protocol"
)

// The scanner plugins a round uses (their ids, as discovery's scans).
const (
	PluginICMP = "breeze.netsweep"
	PluginTCP  = "breeze.tcpscan"
	PluginSNMP = "breeze.snmp"
)

// Probe pacing: a list holds at most 1024 hosts, so ICMP takes ~2 s and
// TCP (five ping ports plus the host's) a few more, well inside the
// shortest interval.
const (
	probeConcurrency = 128
	icmpRate         = 500
	tcpRate          = 1000
)

// Via values of a result.
const (
	viaICMP = "icmp"
	viaTCP  = "tcp"
	viaSNMP = "snmp"
)

// state is one host's fate in a round.
type state struct {
	e    *entry
	up   bool
	via  string
	rtt  float64
	errs []string // probes that could not run for it
}

// round probes every valid host of l once: ICMP for all, then TCP for the
// ones still not up that have ports (one scan per port set), then SNMP for
// the ones still not up that have SNMP settings (one scan per settings).
func (w *Watcher) round(ctx context.Context, l *list) []protocol.WatchResult {
	var states []*state
	for i := range l.entries {
		if l.entries[i].err == "" {
			states = append(states, &state{e: &l.entries[i]})
		}
	}
	// ICMP: netsweep sweeps IPv4 only.
	w.probe(ctx, viaICMP, filter(states, func(s *state) bool { return s.e.addr.Is4() }),
		protocol.DiscoverPayload{Plugin: PluginICMP, Options: options(map[string]any{
			"methods": "icmp", "retries": "1", "concurrency": probeConcurrency, "ratePerSecond": icmpRate})})
	tcp := filter(states, func(s *state) bool { return !s.up && len(s.e.ports) > 0 })
	for _, group := range groupBy(tcp, func(s *state) string { return fmt.Sprint(s.e.ports) }) {
		w.probe(ctx, viaTCP, group, protocol.DiscoverPayload{Plugin: PluginTCP, Ports: group[0].e.ports,
			Options: options(map[string]any{"concurrency": probeConcurrency, "ratePerSecond": tcpRate})})
	}
	snmp := filter(states, func(s *state) bool { return !s.up && s.e.snmp != nil })
	for _, group := range groupBy(snmp, func(s *state) string { return snmpKey(s.e.snmp) }) {
		cfg := group[0].e.snmp
		w.probe(ctx, viaSNMP, group, protocol.DiscoverPayload{Plugin: PluginSNMP, Options: cfg.Options, Secrets: cfg.Secrets})
	}
	return results(l, states)
}

// probe runs one scan (p, targets added) over ss; the hosts that answered
// are up via via, the others wait for the next probe, or note why this one
// could not run for them.
func (w *Watcher) probe(ctx context.Context, via string, ss []*state, p protocol.DiscoverPayload) {
	if len(ss) == 0 {
		return
	}
	byIP := map[string][]*state{}
	for _, s := range ss {
		if byIP[s.e.ip] == nil {
			p.Targets = append(p.Targets, s.e.ip)
		}
		byIP[s.e.ip] = append(byIP[s.e.ip], s)
	}
	assets, _, err := w.d.Prober.Discover(ctx, p)
	if err != nil {
		why := failure(ctx, p.Plugin, err)
		w.log.Debug("watch probe failed", "plugin", p.Plugin, "hosts", len(byIP), "error", err)
		for _, s := range ss {
			s.errs = append(s.errs, why)
		}
		return
	}
	for _, a := range assets {
		if !a.Alive {
			continue
		}
		for _, s := range byIP[canonical(a.IP)] {
			if !s.up {
				s.up, s.via, s.rtt = true, via, a.RTTMs
			}
		}
	}
}

// failure says why a probe could not decide its hosts.
func failure(ctx context.Context, plugin string, err error) string {
	switch {
	case errors.Is(err, plugins.ErrNotScanner):
		return plugin + " is not running on this agent"
	case ctx.Err() != nil:
		return plugin + ": the round took longer than the watch interval"
	}
	return protocol.Abbrev(plugin+": "+err.Error(), 240)
}

// results is the report of a round, in the list's order: up (and how),
// down (every probe ran, none answered), or Err (a probe could not run and
// none said up; a refused host).
func results(l *list, states []*state) []protocol.WatchResult {
	byEntry := make(map[*entry]*state, len(states))
	for _, s := range states {
		byEntry[s.e] = s
	}
	out := make([]protocol.WatchResult, 0, len(l.entries))
	for i := range l.entries {
		e := &l.entries[i]
		r := protocol.WatchResult{ID: e.id, Err: e.err}
		if s := byEntry[e]; s != nil {
			switch {
			case s.up:
				r.Up, r.Via, r.RTTMs = true, s.via, s.rtt
			case len(s.errs) > 0:
				r.Err = strings.Join(s.errs, "; ")
			case !e.addr.Is4() && len(e.ports) == 0 && e.snmp == nil:
				r.Err = "no probe for this host: ICMP is swept on IPv4 only; give it ports or SNMP"
			}
		}
		out = append(out, r)
	}
	return out
}

func filter(ss []*state, keep func(*state) bool) []*state {
	var out []*state
	for _, s := range ss {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// groupBy splits ss by key, groups in the order of their first host.
func groupBy(ss []*state, key func(*state) string) [][]*state {
	idx := map[string]int{}
	var out [][]*state
	for _, s := range ss {
		k := key(s)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

// snmpKey identifies SNMP settings: hosts sharing them share a scan.
func snmpKey(c *protocol.WatchSNMP) string {
	var b strings.Builder
	b.WriteString(strconv.Quote(string(c.Options)))
	for _, k := range slices.Sorted(maps.Keys(c.Secrets)) {
		b.WriteString("|" + strconv.Quote(k) + "=" + strconv.Quote(c.Secrets[k]))
	}
	return b.String()
}

func options(m map[string]any) json.RawMessage {
	raw, _ := json.Marshal(m) // numbers and strings only
	return raw
}

// canonical is ip as a list entry spells it.
func canonical(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return a.Unmap().String()
}
