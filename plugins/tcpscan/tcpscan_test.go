package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// listener holds a loopback port open for the scan to find. Tests only
// ever target 127.0.0.1.
func listener(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func loopbackSpec(port int) sdk.TargetSpec {
	return sdk.TargetSpec{Targets: []string{"127.0.0.1/32"}, Ports: []int{port}, Concurrency: 4, RatePerSecond: 1000, Timeout: 500 * time.Millisecond}
}

func TestConformance(t *testing.T) {
	port := listener(t)
	sdktest.ScannerConformance(t, func(*testing.T) sdk.Scanner { return New() }, sdktest.ScannerFixture{
		Target:  loopbackSpec(port),
		Invalid: sdk.TargetSpec{Targets: []string{"not-a-cidr"}},
	})
}

func TestFindsOpenPort(t *testing.T) {
	port := listener(t)
	var got []sdk.Asset
	err := New().Scan(context.Background(), loopbackSpec(port), func(a sdk.Asset) error { got = append(got, a); return nil })
	if err != nil || len(got) != 1 || got[0].IP != "127.0.0.1" || !slices.Contains(got[0].OpenPorts, port) {
		t.Fatalf("Scan = %+v, %v; want 127.0.0.1 with port %d open", got, err, port)
	}
}

func TestRefusesHugeAndBadTargets(t *testing.T) {
	for _, spec := range []sdk.TargetSpec{
		{Targets: []string{"10.0.0.0/8"}},
		{Targets: []string{"127.0.0.0/16", "127.1.0.0/24"}},
		{},
		{Targets: []string{"127.0.0.1"}, Ports: []int{70000}},
	} {
		if _, err := makePlan(spec); err == nil {
			t.Errorf("makePlan(%+v) accepted", spec)
		}
	}
}

// The scanner probes exactly the addresses it is given: the server has
// left the network and broadcast addresses out already.
func TestHostsAreExactlyTheTargets(t *testing.T) {
	var got []string
	sdk.Hosts([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/30"), netip.MustParsePrefix("::1/128")}, func(a netip.Addr) bool {
		got = append(got, a.String())
		return true
	})
	if want := []string{"127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"}; !slices.Equal(got, want) {
		t.Fatalf("hosts = %v, want %v", got, want)
	}
}

func TestRateLimitPacesProbes(t *testing.T) {
	// 6 probes (5 ping ports + 1) at 20/s cannot finish in under ~250ms.
	port := listener(t)
	spec := loopbackSpec(port)
	spec.RatePerSecond = 20
	start := time.Now()
	if err := New().Scan(context.Background(), spec, func(sdk.Asset) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("6 probes at 20/s took %v", d)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	port := listener(t)
	sc := sdktest.Subprocess[sdk.Scanner](t, ".", sdk.KindScanner, sdktest.NewFakeHost(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []sdk.Asset
	if err := sc.Scan(ctx, loopbackSpec(port), func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Contains(got[0].OpenPorts, port) {
		t.Fatalf("Scan through the real binary = %+v", got)
	}
}
