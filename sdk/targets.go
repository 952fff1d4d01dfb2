package sdk

import (
	"net/netip"
	"strings"
)

// MaxScanHosts caps one scan's targets (a /16 of IPv4): a scanner plugin is
// no internet sweeper. The server splits larger profiles before they reach
// a plugin.
const MaxScanHosts = 1 << 16

// ParseTargets turns a TargetSpec's CIDRs and single addresses into masked
// prefixes, refusing more than MaxScanHosts addresses in all.
func ParseTargets(targets []string) ([]netip.Prefix, error) {
	if len(targets) == 0 {
		return nil, Invalidf("no targets")
	}
	var out []netip.Prefix
	total := 0
	for _, t := range targets {
		t = strings.TrimSpace(t)
		var p netip.Prefix
		var err error
		if strings.Contains(t, "/") {
			p, err = netip.ParsePrefix(t)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(t)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, Invalidf("target %q: %v", t, err)
		}
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 16 {
			return nil, Invalidf("target %q is larger than a /%d (%d hosts)", t, p.Addr().BitLen()-16, MaxScanHosts)
		}
		total += 1 << hostBits
		if total > MaxScanHosts {
			return nil, Invalidf("targets hold more than %d hosts", MaxScanHosts)
		}
		out = append(out, p)
	}
	return out, nil
}

// Hosts yields every address of the prefixes in order; it stops when yield
// returns false. Every address is yielded, the first and last of a prefix
// too: Breeze sends scanners exactly the addresses to probe (a profile's
// IPv4 networks without their network and broadcast addresses, split into
// prefixes around its exclusions), so a prefix's ends may be real hosts.
func Hosts(prefixes []netip.Prefix, yield func(netip.Addr) bool) {
	for _, p := range prefixes {
		last := lastAddr(p)
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			if !yield(a) {
				return
			}
			if a == last {
				break
			}
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
