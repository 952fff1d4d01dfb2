package main

import (
	"context"
	"net/netip"
	"time"
)

// neighbour is one entry of the kernel's neighbour (ARP) table.
type neighbour struct {
	mac          string        // lower-case, colon separated
	confirmedAgo time.Duration // since the host last answered (ARP); -1: unknown or never
	reachable    bool          // the kernel holds it confirmed (within its reachable time, ~30 s)
	pending      bool          // resolution under way (incomplete, delay, probe)
}

// live reports whether the entry speaks for a host on the link now: it was
// confirmed after t (the sweep's start), or the kernel still holds it
// reachable. An unprivileged process cannot make the kernel re-ask a
// reachable neighbour, so a host that left within the kernel's reachable
// time (~30 s) may still count; the packet-socket ARP sweep has no such lag.
func (n neighbour) live(t time.Time) bool {
	return n.reachable || n.confirmedAgo >= 0 && n.confirmedAgo <= time.Since(t)
}

// readNeighbours returns the entries for the addresses in `in`. An entry
// left over from a host that has since gone (even one still marked
// reachable) proves nothing: only a confirmation during the sweep makes a
// host live (see answeredSince). With wait, it
// first lets pending resolutions finish (up to the kernel's 5 s delay plus
// its 3 probes), as when no ICMP answer speaks for a host.
func readNeighbours(ctx context.Context, in map[netip.Addr]bool, wait bool) map[netip.Addr]neighbour {
	deadline := time.Now().Add(9 * time.Second)
	for {
		table, err := neighbours()
		if err != nil {
			return nil
		}
		out := map[netip.Addr]neighbour{}
		busy := false
		for a, n := range table {
			if in[a] {
				out[a] = n
				busy = busy || n.pending
			}
		}
		if !wait || !busy || time.Now().After(deadline) {
			return out
		}
		select {
		case <-ctx.Done():
			return out
		case <-time.After(100 * time.Millisecond):
		}
	}
}
