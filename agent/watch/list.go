package watch

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// entry is one host of a list: valid (err empty, probed every round) or
// refused (reported with err, never probed).
type entry struct {
	id    string
	ip    string // canonical (IPv4-mapped IPv6 unmapped)
	addr  netip.Addr
	ports []int // sorted, unique
	snmp  *protocol.WatchSNMP
	err   string
}

// list is a validated watch list.
type list struct {
	src      protocol.Watch // as received, header cleared: a repeat changes nothing
	interval time.Duration
	entries  []entry
}

// maxPorts is what breeze.tcpscan accepts in one scan.
const maxPorts = 1024

// interval is the round period a frame asks for: the default when unset,
// clamped to the protocol's bounds.
func interval(secs int) time.Duration {
	if secs == 0 {
		secs = protocol.DefaultWatchIntervalSecs
	}
	secs = max(protocol.MinWatchIntervalSeconds, min(protocol.MaxWatchIntervalSeconds, secs))
	return time.Duration(secs) * time.Second
}

// compile validates f. Hosts past protocol.MaxWatchHosts are refused with
// an error (and past twice that not reported at all: dropped counts them);
// a host without an id cannot be reported and is dropped too.
func compile(f protocol.Watch) (l *list, dropped int) {
	f.Header = protocol.Header{}
	if len(f.Hosts) == 0 {
		f.Hosts = nil // [] and absent are the same list
	}
	l = &list{src: f, interval: interval(f.IntervalSeconds)}
	seen := map[string]bool{}
	for i, h := range f.Hosts {
		if h.ID == "" || i >= 2*protocol.MaxWatchHosts {
			dropped++
			continue
		}
		e := entry{id: h.ID, snmp: h.SNMP}
		switch {
		case seen[h.ID]:
			e.err = "the id appears twice in the watch list"
		case i >= protocol.MaxWatchHosts:
			e.err = fmt.Sprintf("past the watch list's limit of %d hosts", protocol.MaxWatchHosts)
		default:
			e.err = e.parse(h)
		}
		seen[h.ID] = true
		l.entries = append(l.entries, e)
	}
	return l, dropped
}

// parse checks the host's address and ports; it returns why the host is
// never probed, or "".
func (e *entry) parse(h protocol.WatchHost) string {
	a, err := netip.ParseAddr(strings.TrimSpace(h.IP))
	if err != nil {
		return fmt.Sprintf("not an IP address: %q", protocol.Abbrev(h.IP, 64))
	}
	a = a.Unmap()
	switch {
	case a.Zone() != "":
		return "an address with a zone is not watched"
	case a.IsLoopback():
		return "a loopback address is not watched"
	case a.IsUnspecified():
		return "an unspecified address is not watched"
	case a.IsMulticast():
		return "a multicast address is not watched"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address is not watched"
	}
	e.addr, e.ip = a, a.String()
	for _, p := range h.Ports {
		if p < 1 || p > 65535 {
			return fmt.Sprintf("port %d out of range", p)
		}
	}
	e.ports = slices.Compact(slices.Sorted(slices.Values(h.Ports)))
	if len(e.ports) > maxPorts {
		return fmt.Sprintf("%d ports: at most %d", len(e.ports), maxPorts)
	}
	return ""
}
