package scans

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/breeze-rmm/breeze/protocol"
)

// size counts the addresses of CIDRs and checks they are disjoint.
func size(t *testing.T, shares ...[]string) (int, map[string]bool) {
	t.Helper()
	n, seen := 0, map[string]bool{}
	for _, share := range shares {
		for _, c := range share {
			p := netip.MustParsePrefix(c)
			for a := p.Addr(); p.Contains(a); a = a.Next() {
				if seen[a.String()] {
					t.Fatalf("%s covered twice", a)
				}
				seen[a.String()] = true
				n++
			}
		}
	}
	return n, seen
}

func TestSplitTargets(t *testing.T) {
	targets := []string{"10.0.0.0/24", "10.0.1.0/25", "192.168.5.7/32", "10.9.0.0/16"}
	for _, n := range []int{1, 2, 3, 7} {
		shares := splitTargets(targets, n)
		total, _ := size(t, shares...)
		if len(shares) != n || total != 256+128+1+65536 {
			t.Fatalf("n=%d: %d shares, %d addresses", n, len(shares), total)
		}
		for i, s := range shares {
			got, _ := size(t, s)
			if want := (total + n - 1) / n; n > 1 && i < n-1 && got != want {
				t.Errorf("n=%d share %d: %d addresses, want %d", n, i, got, want)
			}
		}
	}
	if s := splitTargets([]string{"10.0.0.0/30"}, 8); len(s[7]) != 0 || len(s[0]) != 1 {
		t.Fatalf("more agents than addresses: %v", s)
	}
	if s := splitTargets([]string{"fd00::/120", "10.0.0.0/24"}, 2); !slices.Contains(s[1], "fd00::/120") && !slices.Contains(s[0], "fd00::/120") {
		t.Fatalf("ipv6 prefix lost: %v", s)
	}
}

func TestHostTargets(t *testing.T) {
	var hosts []string
	for i := range 512 {
		hosts = append(hosts, fmt.Sprintf("10.1.%d.%d", i/256, i%256))
	}
	hosts = append(hosts, "10.1.0.5", "10.7.7.7", "junk")
	shares := hostTargets(hosts, 2)
	if !slices.Equal(shares[0], []string{"10.1.0.0/24", "10.1.1.0/32"}) {
		t.Fatalf("share 0: %v", shares[0])
	}
	total, seen := size(t, shares...)
	if total != 513 || !seen["10.7.7.7"] {
		t.Fatalf("%d addresses: %v", total, shares)
	}
	// every other host of a /16: too many CIDRs, the span instead
	hosts = hosts[:0]
	for i := 0; i < 65536; i += 2 {
		hosts = append(hosts, fmt.Sprintf("10.2.%d.%d", i/256, i%256))
	}
	shares = hostTargets(hosts, 1)
	if len(shares[0]) > protocol.MaxDiscoverTargets || len(shares[0]) == 0 {
		t.Fatalf("%d targets", len(shares[0]))
	}
}
