package scans

import (
	"math/bits"
	"net/netip"
	"slices"

	"github.com/breeze-rmm/breeze/protocol"
)

// span is an inclusive IPv4 address range.
type span struct{ lo, hi uint32 }

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// cidrs is the shortest list of CIDRs covering exactly s.
func (s span) cidrs() []string {
	var out []string
	lo := uint64(s.lo)
	for lo <= uint64(s.hi) {
		// the largest aligned block at lo that stays within hi
		size := 32
		if lo != 0 {
			size = bits.TrailingZeros64(lo)
		}
		for size > 0 && lo+(1<<size)-1 > uint64(s.hi) {
			size--
		}
		out = append(out, netip.PrefixFrom(addr4(uint32(lo)), 32-size).String())
		lo += 1 << size
	}
	return out
}

// splitTargets divides disjoint CIDRs into n shares of about the same
// number of addresses, each share a list of CIDRs (IPv6 prefixes, at
// most /112, go whole to the share that is smallest so far). A share may
// be empty when there are fewer addresses than agents.
func splitTargets(targets []string, n int) [][]string {
	out := make([][]string, n)
	if n == 1 {
		out[0] = slices.Clone(targets)
		return out
	}
	var spans []span
	var total uint64
	sizes := make([]uint64, n)
	var v6 []netip.Prefix
	for _, t := range targets {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			if a, aerr := netip.ParseAddr(t); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				out[0] = append(out[0], t) // not an address: the first agent resolves it
				continue
			}
		}
		p = p.Masked()
		if !p.Addr().Is4() {
			v6 = append(v6, p)
			continue
		}
		lo := v4(p.Addr())
		hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
		spans = append(spans, span{lo, hi})
		total += uint64(hi-lo) + 1
	}
	share := (total + uint64(n) - 1) / uint64(n)
	i := 0
	for _, s := range spans {
		lo := uint64(s.lo)
		for lo <= uint64(s.hi) {
			room := share - sizes[i]
			if room == 0 && i < n-1 {
				i++
				continue
			}
			hi := min(uint64(s.hi), lo+room-1)
			if i == n-1 {
				hi = uint64(s.hi)
			}
			out[i] = append(out[i], span{uint32(lo), uint32(hi)}.cidrs()...)
			sizes[i] += hi - lo + 1
			lo = hi + 1
		}
	}
	for _, p := range v6 {
		j := 0
		for k := range sizes {
			if sizes[k] < sizes[j] {
				j = k
			}
		}
		out[j] = append(out[j], p.String())
		sizes[j] += uint64(1) << (p.Addr().BitLen() - p.Bits())
	}
	return out
}

// hostTargets turns live hosts into n shares of CIDRs: runs of adjacent
// addresses merge, and a share still over protocol.MaxDiscoverTargets
// scans the span from its first to its last host instead (the probe
// plugins report only hosts that answer).
func hostTargets(hosts []string, n int) [][]string {
	var v4s []uint32
	var others []string
	for _, h := range hosts {
		a, err := netip.ParseAddr(h)
		switch {
		case err != nil:
		case a.Unmap().Is4():
			v4s = append(v4s, v4(a.Unmap()))
		default:
			others = append(others, netip.PrefixFrom(a, 128).String())
		}
	}
	slices.Sort(v4s)
	v4s = slices.Compact(v4s)
	out := make([][]string, n)
	per := (len(v4s) + n - 1) / n
	for i := range n {
		from, to := min(i*per, len(v4s)), min((i+1)*per, len(v4s))
		chunk := v4s[from:to]
		var share []string
		for j := 0; j < len(chunk); {
			k := j
			for k+1 < len(chunk) && chunk[k+1] == chunk[k]+1 {
				k++
			}
			share = append(share, span{chunk[j], chunk[k]}.cidrs()...)
			j = k + 1
		}
		if len(share) > protocol.MaxDiscoverTargets {
			share = span{chunk[0], chunk[len(chunk)-1]}.cidrs()
		}
		out[i] = share
	}
	for j, h := range others {
		out[j%n] = append(out[j%n], h)
	}
	return out
}
