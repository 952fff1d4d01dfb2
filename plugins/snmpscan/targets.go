package main

import (
	"net/netip"
	"strings"

	"github.com/breeze-rmm/breeze/sdk"
)

// MaxHosts caps one scan (a /16 of IPv4): a scanner is no internet sweeper.
// (The same expansion as plugins/tcpscan: plugins import only the SDK.)
const MaxHosts = 1 << 16

// parseTargets turns CIDRs and single addresses into prefixes and counts hosts.
func parseTargets(targets []string) ([]netip.Prefix, error) {
	if len(targets) == 0 {
		return nil, sdk.Invalidf("no targets")
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
			return nil, sdk.Invalidf("target %q: %v", t, err)
		}
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 16 {
			return nil, sdk.Invalidf("target %q is larger than a /%d (%d hosts)", t, p.Addr().BitLen()-16, MaxHosts)
		}
		total += 1 << hostBits
		if total > MaxHosts {
			return nil, sdk.Invalidf("targets hold more than %d hosts", MaxHosts)
		}
		out = append(out, p)
	}
	return out, nil
}

// hosts yields every address of the prefixes, skipping the IPv4 network and
// broadcast addresses of ranges larger than a /31.
func hosts(prefixes []netip.Prefix, yield func(netip.Addr) bool) {
	for _, p := range prefixes {
		skipEnds := p.Addr().Is4() && p.Bits() < 31
		last := lastAddr(p)
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			if skipEnds && (a == p.Addr() || a == last) {
				continue
			}
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
