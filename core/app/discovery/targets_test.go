package discovery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
)

// anyCover: only the size is checked.
var anyCover = []string{"*"}

var slash24 = []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28", "10.0.0.240/29", "10.0.0.248/30", "10.0.0.252/31", "10.0.0.254/32"}

func TestResolveCover(t *testing.T) {
	for _, c := range []struct {
		name             string
		targets, exclude []string
		want             []string
		n                int
	}{
		// A network's own network and broadcast addresses are left out, so
		// the cover is exactly the hosts (scanners probe every address given).
		{"a /24", []string{"10.0.0.0/24"}, nil, slash24, 254},
		{"unmasked CIDR", []string{"10.0.0.77/24"}, nil, slash24, 254},
		{"a /31 and a /32 keep both ends", []string{"10.0.0.0/31", "10.0.0.9/32"}, nil, []string{"10.0.0.0/31", "10.0.0.9/32"}, 3},
		{"a host", []string{" 192.168.1.5 "}, nil, []string{"192.168.1.5/32"}, 1},
		{"a range", []string{"10.0.0.10-10.0.0.20"}, nil, []string{"10.0.0.10/31", "10.0.0.12/30", "10.0.0.16/30", "10.0.0.20/32"}, 11},
		{"a last-octet range", []string{"10.0.0.250-255"}, nil, []string{"10.0.0.250/31", "10.0.0.252/30"}, 6},
		{"overlaps merge, each network's ends out", []string{"10.0.0.0/25", "10.0.0.64/26", "10.0.0.128/25"}, nil, []string{"10.0.0.1/32",
			"10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27", "10.0.0.65/32", "10.0.0.66/31", "10.0.0.68/30",
			"10.0.0.72/29", "10.0.0.80/28", "10.0.0.96/28", "10.0.0.112/29", "10.0.0.120/30", "10.0.0.124/31", "10.0.0.126/32",
			"10.0.0.129/32", "10.0.0.130/31", "10.0.0.132/30", "10.0.0.136/29", "10.0.0.144/28", "10.0.0.160/27", "10.0.0.192/27",
			"10.0.0.224/28", "10.0.0.240/29", "10.0.0.248/30", "10.0.0.252/31", "10.0.0.254/32"}, 251},
		{"exclusions split", []string{"10.0.0.0/24"}, []string{"10.0.0.1", "10.0.0.128/25"},
			[]string{"10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26"}, 126},
		{"a /16 exactly", []string{"172.16.0.0/16"}, nil, anyCover, 65534},
		{"two /17 are two networks", []string{"172.16.128.0/17", "172.16.0.0/17"}, nil, anyCover, 65532},
		{"a /15 minus a /16 fits", []string{"172.16.0.0/15"}, []string{"172.17.0.0/16"}, nil, 0}, // refused: a target alone over the limit
		{"IPv6 /120", []string{"fd00::/120"}, nil, []string{"fd00::/120"}, 256},
		{"IPv6 host", []string{"2001:db8::5"}, nil, []string{"2001:db8::5/128"}, 1},
		{"top of the space", []string{"223.255.255.0/24"}, []string{"223.255.255.255"}, []string{"223.255.255.1/32", "223.255.255.2/31",
			"223.255.255.4/30", "223.255.255.8/29", "223.255.255.16/28", "223.255.255.32/27", "223.255.255.64/26", "223.255.255.128/26",
			"223.255.255.192/27", "223.255.255.224/28", "223.255.255.240/29", "223.255.255.248/30", "223.255.255.252/31", "223.255.255.254/32"}, 254},
	} {
		res, err := Resolve(c.targets, c.exclude, nil)
		if c.want == nil {
			if err == nil {
				t.Errorf("%s: accepted %v", c.name, res.CIDRs)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (!slices.Equal(c.want, anyCover) && !slices.Equal(res.CIDRs, c.want)) || res.Addresses != c.n {
			t.Errorf("%s: %v (%d), want %v (%d)", c.name, res.CIDRs, res.Addresses, c.want, c.n)
		}
	}
}

func TestResolveRefusals(t *testing.T) {
	for _, c := range []struct {
		targets, exclude, allowed []string
		msg                       string
	}{
		{[]string{"0.0.0.0/0"}, nil, nil, "0.0.0.0/0 covers 4294967296 addresses, over the limit of 65536 (a /16)"},
		{[]string{"10.0.0.0/8"}, nil, nil, "10.0.0.0/8 covers 16777216 addresses, over the limit of 65536 (a /16)"},
		{[]string{"10.0.0.0/12"}, nil, nil, "1048576 addresses, over the limit of 65536 (a /16)"},
		{[]string{"10.0.0.0/16", "10.1.0.0/24"}, nil, nil, "65788 addresses, over the limit of 65536"},
		{[]string{"0.0.0.0/8"}, nil, nil, "over the limit"},
		{[]string{"0.0.0.0/16"}, nil, nil, "this network"},
		{[]string{"127.0.0.1"}, nil, nil, "loopback"},
		{[]string{"169.254.1.0/24"}, nil, nil, "link-local"},
		{[]string{"224.0.0.0/24"}, nil, nil, "multicast"},
		{[]string{"255.255.255.255"}, nil, nil, "broadcast"},
		{[]string{"126.255.255.0-127.0.0.5"}, nil, nil, "loopback"},
		{[]string{"::1"}, nil, nil, "loopback"},
		{[]string{"fe80::/120"}, nil, nil, "link-local"},
		{[]string{"ff02::1"}, nil, nil, "multicast"},
		{[]string{"fd00::/64"}, nil, nil, "/112 or longer"},
		{[]string{"10.0.0.20-10.0.0.10"}, nil, nil, "ends before it starts"},
		{[]string{"10.0.0.1-300"}, nil, nil, "0 to 255"},
		{[]string{"not an ip"}, nil, nil, "not an IP address"},
		{[]string{"<img src=x onerror=alert(1)>"}, nil, nil, "not an IP address"},
		{[]string{"fe80::1%eth0"}, nil, nil, "not an IP address"},
		{nil, nil, nil, "at least one"},
		{[]string{"10.0.0.0/24"}, []string{"10.0.0.0/24"}, nil, "leave no address"},
		{[]string{"10.0.0.0/24"}, []string{"x"}, nil, "exclusion"},
		{[]string{"10.9.0.0/24"}, nil, []string{"10.0.0.0/16", "192.168.0.0/24"}, "target 10.9.0.0/24 is outside the organization's allowed discovery ranges (10.0.0.0/16, 192.168.0.0/24)"},
		{[]string{"10.0.255.0-10.1.0.5"}, nil, []string{"10.0.0.0/16"}, "outside"},
	} {
		_, err := Resolve(c.targets, c.exclude, c.allowed)
		if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v - %v in %v: %v, want ErrInvalid with %q", c.targets, c.exclude, c.allowed, err, c.msg)
		}
	}
	// Inside the allowed ranges, and across two adjacent ones.
	if _, err := Resolve([]string{"10.0.3.0/24", "192.168.0.7"}, nil, []string{"10.0.0.0/16", "192.168.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve([]string{"10.0.255.0-10.1.0.5"}, nil, []string{"10.0.0.0/16", "10.1.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve([]string{"fd00:1::/112"}, nil, []string{"fd00::/16"}); err != nil {
		t.Fatal(err)
	}
}

func TestSpansAndVendorKey(t *testing.T) {
	sp, err := spansOf([]string{"10.0.0.0/30", "10.0.0.8/32"})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"10.0.0.3": true, "10.0.0.4": false, "10.0.0.8": true, "::ffff:10.0.0.1": true, "x": false} {
		if inSpans(ip, sp) != want {
			t.Errorf("inSpans(%s) = %v", ip, !want)
		}
	}
	for mac, want := range map[string]string{"00:1b:63:aa:bb:cc": "001B63", "00-1B-63-AA-BB-CC": "001B63", "001b.63aa.bbcc": "001B63", "zz": "", "": ""} {
		if got := ouiKey(mac); got != want {
			t.Errorf("ouiKey(%q) = %q", mac, got)
		}
	}
}
