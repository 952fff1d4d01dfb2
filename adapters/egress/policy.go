// Package egress is the server's outbound HTTP on behalf of plugins: a
// client whose every connection is checked, at connect time, against a
// policy that refuses the server's own networks (loopback, private,
// link-local incl. cloud metadata, ...) unless the operator allows them.
// Checking the address actually dialled, not the name in the URL, is what
// keeps DNS rebinding and redirects from getting around it.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// blocked are the ranges refused unless allowed: what a request from the
// server could reach that a tenant's webhook has no business with.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network", incl. the unspecified address
		"10.0.0.0/8",     // private (RFC 1918)
		"100.64.0.0/10",  // carrier-grade NAT (RFC 6598)
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local, incl. 169.254.169.254 (cloud metadata)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, incl. broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"fc00::/7",       // unique local
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64 embeds an IPv4 address in its last 32 bits (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// ErrRefused marks a destination the policy does not permit.
var ErrRefused = errors.New("egress: destination not permitted")

// Policy says which addresses plugins' requests may connect to: any
// public address, and the blocked ranges the operator allows.
type Policy struct {
	Allow []netip.Prefix
}

// ParseAllow reads a comma-separated list of CIDRs or single addresses.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("egress: allow %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("egress: allow %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Permits reports whether a connection to a may be made.
func (p Policy) Permits(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p.Allow {
		if pr.Contains(a) {
			return true
		}
	}
	if nat64.Contains(a) { // judged by the IPv4 address inside
		b := a.As16()
		if v4 := netip.AddrFrom4([4]byte(b[12:])); !p.Permits(v4) {
			return false
		}
	}
	for _, pr := range blocked {
		if pr.Contains(a) {
			return false
		}
	}
	return a.IsValid() && !a.IsUnspecified()
}

// control is a net.Dialer Control hook: it runs for every connection
// attempt with the address about to be dialled, after name resolution.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrRefused, address)
	}
	if !p.Permits(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrRefused, ap.Addr())
	}
	return nil
}
