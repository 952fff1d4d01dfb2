package discovery

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Targets are IPv4 CIDRs, ranges ("10.0.0.10-10.0.0.20" or "10.0.0.10-20")
// and hosts, and IPv6 prefixes of /112 or longer and hosts. Every form
// becomes an interval of 32-bit offsets inside a "family": IPv4 as a whole,
// or one IPv6 /96 (a /112 varies only the low 16 bits), so all the set
// arithmetic is on uint32 intervals.

// Limits on the lists themselves.
const (
	maxTargetItems = 256
	maxItemLen     = 100
	minIPv6Prefix  = 112
)

// span is [lo, hi] inside family fam ("4", or the first 12 bytes of an
// IPv6 address).
type span struct {
	fam    string
	lo, hi uint32
}

func (s span) size() uint64 { return uint64(s.hi) - uint64(s.lo) + 1 }

// refused are the IPv4 blocks no profile may target.
var refused = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "0.0.0.0/8 is \"this network\", not scannable hosts"},
	{netip.MustParsePrefix("127.0.0.0/8"), "127.0.0.0/8 is loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "169.254.0.0/16 is link-local"},
	{netip.MustParsePrefix("224.0.0.0/4"), "224.0.0.0/4 is multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "255.255.255.255 is the broadcast address"},
}

var refused6 = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("::/128"), ":: is the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "::1 is loopback"},
	{netip.MustParsePrefix("fe80::/10"), "fe80::/10 is link-local"},
	{netip.MustParsePrefix("ff00::/8"), "ff00::/8 is multicast"},
}

func famOf(a netip.Addr) (string, uint32) {
	if a.Is4() {
		b := a.As4()
		return "4", uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	b := a.As16()
	return string(b[:12]), uint32(b[12])<<24 | uint32(b[13])<<16 | uint32(b[14])<<8 | uint32(b[15])
}

func addrOf(fam string, v uint32) netip.Addr {
	if fam == "4" {
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	var b [16]byte
	copy(b[:12], fam)
	b[12], b[13], b[14], b[15] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}

// parseItem reads one target, exclusion or allowed range. wide allows
// IPv6 prefixes shorter than /112 (allowed ranges), returned as prefix.
func parseItem(item string, wide bool) (span, netip.Prefix, uint64, error) {
	s := strings.TrimSpace(item)
	if s == "" {
		return span{}, netip.Prefix{}, 0, domain.Invalidf("an empty target")
	}
	if len(s) > maxItemLen {
		return span{}, netip.Prefix{}, 0, domain.Invalidf("target %q is too long", domain.Abbrev(s, 40))
	}
	bad := func(why string) error {
		return domain.Invalidf("target %q is not %s", domain.Abbrev(s, 64), why)
	}
	switch {
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return span{}, netip.Prefix{}, 0, bad("a CIDR (e.g. 10.0.0.0/24)")
		}
		if p.Addr().Is4In6() {
			return span{}, netip.Prefix{}, 0, bad("a plain IPv4 or IPv6 CIDR")
		}
		p = p.Masked()
		if p.Addr().Is6() && p.Bits() < minIPv6Prefix {
			if wide {
				return span{}, p, 0, nil
			}
			return span{}, netip.Prefix{}, 0, domain.Invalidf("target %s: IPv6 targets are prefixes of /%d or longer, or single hosts", s, minIPv6Prefix)
		}
		hostBits := p.Addr().BitLen() - p.Bits()
		fam, lo := famOf(p.Addr())
		size := uint64(1) << hostBits
		return span{fam, lo, uint32(uint64(lo) + size - 1)}, netip.Prefix{}, size, nil
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		from, err := netip.ParseAddr(strings.TrimSpace(a))
		if err != nil || !from.Is4() {
			return span{}, netip.Prefix{}, 0, bad("a range (e.g. 10.0.0.10-10.0.0.20 or 10.0.0.10-20; IPv4 only)")
		}
		b = strings.TrimSpace(b)
		var to netip.Addr
		if n, err := strconv.Atoi(b); err == nil && !strings.Contains(b, ".") {
			if n < 0 || n > 255 {
				return span{}, netip.Prefix{}, 0, bad("a range: the last octet is 0 to 255")
			}
			f := from.As4()
			f[3] = byte(n)
			to = netip.AddrFrom4(f)
		} else if to, err = netip.ParseAddr(b); err != nil || !to.Is4() {
			return span{}, netip.Prefix{}, 0, bad("a range (e.g. 10.0.0.10-10.0.0.20 or 10.0.0.10-20; IPv4 only)")
		}
		_, lo := famOf(from)
		_, hi := famOf(to)
		if hi < lo {
			return span{}, netip.Prefix{}, 0, bad("a range: it ends before it starts")
		}
		sp := span{"4", lo, hi}
		return sp, netip.Prefix{}, sp.size(), nil
	default:
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			return span{}, netip.Prefix{}, 0, bad("an IP address, CIDR or range")
		}
		fam, v := famOf(a)
		return span{fam, v, v}, netip.Prefix{}, 1, nil
	}
}

// checkRefused names the refused block a target touches.
func checkRefused(item string, sp span) error {
	lo, hi := addrOf(sp.fam, sp.lo), addrOf(sp.fam, sp.hi)
	list := refused
	if sp.fam != "4" {
		list = refused6
	}
	for _, r := range list {
		// Blocks and spans are both contiguous: they overlap when either
		// holds the other's start.
		if r.p.Contains(lo) || r.p.Contains(hi) || (lo.Less(r.p.Addr()) && r.p.Addr().Less(hi)) {
			return domain.Invalidf("target %s is refused: %s", strings.TrimSpace(item), r.why)
		}
	}
	return nil
}

// union sorts and merges spans.
func union(in []span) []span {
	s := slices.Clone(in)
	slices.SortFunc(s, func(a, b span) int {
		if c := strings.Compare(a.fam, b.fam); c != 0 {
			return c
		}
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var out []span
	for _, x := range s {
		if n := len(out); n > 0 && out[n-1].fam == x.fam && uint64(x.lo) <= uint64(out[n-1].hi)+1 {
			if x.hi > out[n-1].hi {
				out[n-1].hi = x.hi
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// subtract removes the (merged) spans ex from the (merged) spans in.
func subtract(in, ex []span) []span {
	var out []span
	for _, x := range in {
		cur := []span{x}
		for _, e := range ex {
			if e.fam != x.fam {
				continue
			}
			var next []span
			for _, c := range cur {
				if e.hi < c.lo || e.lo > c.hi {
					next = append(next, c)
					continue
				}
				if e.lo > c.lo {
					next = append(next, span{c.fam, c.lo, e.lo - 1})
				}
				if e.hi < c.hi {
					next = append(next, span{c.fam, e.hi + 1, c.hi})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}

// cidrs covers a span with the fewest aligned CIDR blocks.
func cidrs(sp span) []string {
	var out []string
	base := 0
	if sp.fam != "4" {
		base = 96
	}
	lo, hi := uint64(sp.lo), uint64(sp.hi)
	for lo <= hi {
		// The largest block aligned at lo that stays within hi.
		n := 32
		if lo != 0 {
			n = bits.TrailingZeros64(lo)
		}
		for n > 0 && lo+(uint64(1)<<n)-1 > hi {
			n--
		}
		out = append(out, netip.PrefixFrom(addrOf(sp.fam, uint32(lo)), base+32-n).String())
		lo += uint64(1) << n
	}
	return out
}

// Resolved is a profile's targets resolved: disjoint CIDRs covering exactly
// the targets minus the exclusions (and minus each IPv4 CIDR target's
// network and broadcast addresses), and their size.
type Resolved struct {
	CIDRs     []string
	Addresses int
	spans     []span
}

// Resolve checks targets and exclusions and computes the disjoint CIDR
// cover. allowed, when not empty, are the org's allowed ranges: each
// target must lie inside them.
func Resolve(targets, exclusions, allowed []string) (*Resolved, error) {
	if len(targets) == 0 {
		return nil, domain.Invalidf("targets: name at least one CIDR, range or host")
	}
	if len(targets) > maxTargetItems || len(exclusions) > maxTargetItems {
		return nil, domain.Invalidf("at most %d targets and %d exclusions", maxTargetItems, maxTargetItems)
	}
	allow, wide, err := parseAllowed(allowed)
	if err != nil {
		return nil, err
	}
	var ts, ends []span
	for _, t := range targets {
		sp, _, size, err := parseItem(t, false)
		if err != nil {
			return nil, err
		}
		if sp.fam == "4" && size >= 4 && strings.Contains(t, "/") {
			// An IPv4 network's own network and broadcast addresses are no
			// hosts: left out here, so the scanners probe exactly the plan's
			// addresses (sdk.Hosts skips nothing).
			ends = append(ends, span{"4", sp.lo, sp.lo}, span{"4", sp.hi, sp.hi})
		}
		if size > domain.MaxProfileAddresses {
			return nil, overLimit("target "+strings.TrimSpace(t)+" covers", size)
		}
		if err := checkRefused(t, sp); err != nil {
			return nil, err
		}
		if len(allowed) > 0 && !covered(sp, allow, wide) {
			return nil, domain.Invalidf("target %s is outside the organization's allowed discovery ranges (%s)",
				strings.TrimSpace(t), strings.Join(allowed, ", "))
		}
		ts = append(ts, sp)
	}
	var ex []span
	for _, e := range exclusions {
		sp, _, _, err := parseItem(e, false)
		if err != nil {
			return nil, fmt.Errorf("exclusion: %w", err)
		}
		ex = append(ex, sp)
	}
	rest := subtract(union(ts), union(append(ex, ends...)))
	var total uint64
	for _, sp := range rest {
		total += sp.size()
	}
	if total > domain.MaxProfileAddresses {
		return nil, overLimit("the targets minus the exclusions cover", total)
	}
	if total == 0 {
		return nil, domain.Invalidf("the exclusions leave no address to scan")
	}
	out := &Resolved{Addresses: int(total), spans: rest}
	for _, sp := range rest {
		out.CIDRs = append(out.CIDRs, cidrs(sp)...)
	}
	return out, nil
}

func overLimit(what string, size uint64) error {
	return domain.Invalidf("%s %d addresses, over the limit of %d (a /16) per profile", what, size, domain.MaxProfileAddresses)
}

// parseAllowed reads allowed ranges: the target forms, plus IPv6 prefixes
// of any length.
func parseAllowed(allowed []string) ([]span, []netip.Prefix, error) {
	if len(allowed) > maxTargetItems {
		return nil, nil, domain.Invalidf("at most %d allowed ranges", maxTargetItems)
	}
	var spans []span
	var wide []netip.Prefix
	for _, a := range allowed {
		sp, p, _, err := parseItem(a, true)
		if err != nil {
			return nil, nil, fmt.Errorf("allowed range: %w", err)
		}
		if p.IsValid() {
			wide = append(wide, p)
			continue
		}
		spans = append(spans, sp)
	}
	return union(spans), wide, nil
}

// covered reports whether sp lies inside the allowed spans or a wide IPv6
// prefix (a target never crosses its /96, so containing its start suffices).
func covered(sp span, allow []span, wide []netip.Prefix) bool {
	if sp.fam != "4" {
		for _, p := range wide {
			if p.Contains(addrOf(sp.fam, sp.lo)) {
				return true
			}
		}
	}
	for _, a := range allow {
		if a.fam == sp.fam && a.lo <= sp.lo && sp.hi <= a.hi {
			return true
		}
	}
	return false
}

// CheckAllowed validates an org's allowed ranges and returns them trimmed.
func CheckAllowed(allowed []string) ([]string, error) {
	out := make([]string, 0, len(allowed))
	for _, a := range allowed {
		out = append(out, strings.TrimSpace(a))
	}
	if _, _, err := parseAllowed(out); err != nil {
		return nil, err
	}
	return out, nil
}

// inSpans reports whether ip lies in spans (Finish: which assets a scan covered).
func inSpans(ip string, spans []span) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	fam, v := famOf(a.Unmap())
	for _, s := range spans {
		if s.fam == fam && s.lo <= v && v <= s.hi {
			return true
		}
	}
	return false
}

// spansOf parses the CIDRs of a plan (Finish's targets).
func spansOf(targets []string) ([]span, error) {
	var out []span
	for _, t := range targets {
		sp, _, _, err := parseItem(t, false)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return union(out), nil
}
