package sdk

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParseTargetsAndHosts(t *testing.T) {
	ps, err := ParseTargets([]string{"10.0.0.5/30", " 192.168.1.9 ", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Hosts(ps, func(a netip.Addr) bool { got = append(got, a.String()); return true })
	// every address of a prefix, its ends too (the server leaves network and broadcast out)
	want := []string{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "192.168.1.9", "::1"}
	if len(got) != len(want) {
		t.Fatalf("hosts = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hosts = %v, want %v", got, want)
		}
	}
	n := 0
	Hosts(ps, func(netip.Addr) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("yield false did not stop: %d", n)
	}
	for _, bad := range [][]string{nil, {"10.0.0.0/15"}, {"10.0.0.0/16", "10.1.0.0/31"}, {"nope"}, {"10.0.0.1; rm -rf /"}} {
		if _, err := ParseTargets(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
}
