//go:build linux

package main

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/test/netlab"
)

// benchPorts are the 20 ports of the discovery comparisons.
var benchPorts = []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080, 8443}

// On real hosts in network namespaces, tcpscan and nmap's port scan (a SYN
// scan as root; -Pn, the same ports, the same hosts, one of them gone) see
// the same open ports.
func TestSameOpenPortsAsNmap(t *testing.T) {
	netlab.Require(t, "nmap")
	l := netlab.New(t, netlab.Options{})
	web, mixed, closed := l.AddHost("web"), l.AddHost("mixed"), l.AddHost("closed")
	gone := l.AddHost("gone")
	if err := web.ServeHTTP(80); err != nil {
		t.Fatal(err)
	}
	if err := web.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	for h, ports := range map[*netlab.Host][]int{mixed: {443, 3389, 8080, 5900, 9999}} {
		for _, p := range ports {
			if err := h.ListenTCP(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.RemoveHost(gone)
	targets := []string{web.IP.String(), mixed.IP.String(), closed.IP.String(), gone.IP.String()}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, took, err := netlab.Nmap(ctx, append([]string{"-n", "-Pn", "-p", netlab.Ports(benchPorts)}, targets...)...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := map[string][]int{}
	spec := sdk.TargetSpec{Targets: targets, Ports: benchPorts, Concurrency: 64, RatePerSecond: 2000, Timeout: 500 * time.Millisecond}
	err = New().Scan(ctx, spec, func(a sdk.Asset) error {
		if len(a.OpenPorts) > 0 {
			got[a.IP] = slices.Sorted(slices.Values(a.OpenPorts))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := run.OpenTCP()
	t.Logf("nmap (%v): %v; tcpscan (%v): %v", took, want, time.Since(start), got)
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("tcpscan %v, nmap %v", got, want)
	}
	if !slices.Equal(got[mixed.IP.String()], []int{443, 3389, 5900, 8080}) || !slices.Equal(got[web.IP.String()], []int{22, 80}) {
		t.Fatalf("tcpscan %v misses the lab's listeners", got)
	}
}
