//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
	"github.com/breeze-rmm/breeze/test/netlab"
)

// Every scan here targets a netlab network: addresses the test made.

func labSpec(l *netlab.Lab, methods string) sdk.TargetSpec {
	return sdk.TargetSpec{
		Targets: []string{l.CIDR()}, Concurrency: 256, RatePerSecond: 2000, Timeout: 500 * time.Millisecond,
		Options: map[string]string{"methods": methods, "resolver": l.Resolver()},
	}
}

func sweep(t *testing.T, spec sdk.TargetSpec) map[string]sdk.Asset {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := map[string]sdk.Asset{}
	err := New().Scan(ctx, spec, func(a sdk.Asset) error {
		if _, dup := got[a.IP]; dup {
			t.Errorf("%s emitted twice", a.IP)
		}
		got[a.IP] = a
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

func keys(m map[string]sdk.Asset) []string { return netlab.SortIPs(slices.Collect(maps.Keys(m))) }

func TestSweepFindsHostsMACsAndNames(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	web, plain, gone := l.AddHost("web"), l.AddHost("plain"), l.AddHost("gone")
	if err := web.ServeHTTP(80); err != nil {
		t.Fatal(err)
	}
	hostile := "<img src=x onerror=alert(1)>"
	l.SetPTR(web.IP, "web.lab.example")
	l.SetPTR(plain.IP, hostile)

	got := sweep(t, labSpec(l, "icmp,arp,rdns"))
	want := []string{l.Gateway.String(), web.IP.String(), plain.IP.String(), gone.IP.String()}
	if !slices.Equal(keys(got), netlab.SortIPs(want)) {
		t.Fatalf("live = %v, want %v", keys(got), want)
	}
	for _, h := range []*netlab.Host{web, plain, gone} {
		a := got[h.IP.String()]
		if a.MAC != h.MAC || !a.Alive || a.Attributes["seenBy"] == "" || !strings.HasPrefix(a.Attributes["seenBy"], "icmp,arp") {
			t.Errorf("%s: %+v; want MAC %s seen by icmp,arp", h.Name, a, h.MAC)
		}
		if a.Attributes["rttMs"] == "" || a.RTT <= 0 || a.Attributes["icmpSocket"] != "raw" || a.Attributes["arpVia"] != "packet" {
			t.Errorf("%s: no rtt or socket kind: %+v", h.Name, a)
		}
	}
	if a := got[web.IP.String()]; a.Hostname != "web.lab.example" || !strings.HasSuffix(a.Attributes["seenBy"], ",rdns") {
		t.Errorf("web: hostname %q seenBy %q", a.Hostname, a.Attributes["seenBy"])
	}
	if a := got[plain.IP.String()]; a.Hostname != hostile {
		t.Errorf("hostile name came back as %q, want it verbatim", a.Hostname)
	}
	if a := got[gone.IP.String()]; a.Hostname != "" || strings.Contains(a.Attributes["seenBy"], "rdns") {
		t.Errorf("a host without PTR got a name: %+v", a)
	}

	// Between two scans one host disappears and one appears; the gone one's
	// neighbour entry is still in the kernel's table, and must not count.
	newcomer := l.AddHost("newcomer")
	l.RemoveHost(gone)
	for _, methods := range []string{"icmp,arp", "arp", "icmp"} {
		spec := labSpec(l, methods)
		// The newcomer's address was probed a moment ago: the kernel may
		// still be retrying ARP for it (every second, three times), and
		// the new echo waits in that queue.
		spec.Timeout = 1500 * time.Millisecond
		got = sweep(t, spec)
		if _, ok := got[gone.IP.String()]; ok {
			t.Errorf("%s: the removed host is still live: %+v", methods, got[gone.IP.String()])
		}
		if a, ok := got[newcomer.IP.String()]; !ok || (methods != "icmp" && a.MAC != newcomer.MAC) {
			t.Errorf("%s: the new host: %+v (found %v)", methods, a, ok)
		}
		if a := got[web.IP.String()]; a.Attributes["seenBy"] != methods || (methods == "icmp") != (a.MAC == "") {
			t.Errorf("%s: web seen as %+v", methods, a)
		}
	}
}

// nmap's host discovery (ARP on the lab's link, as root) and the sweep agree.
func TestSameLiveHostsAsNmap(t *testing.T) {
	netlab.Require(t, "nmap")
	l := netlab.New(t, netlab.Options{})
	for i := range 5 {
		l.AddHost(fmt.Sprintf("h%d", i))
	}
	// One far from the others, one gone again before the scans.
	l.AddHostWith("far", netlab.HostOptions{IP: l.Addr(200)})
	l.RemoveHost(l.AddHost("ghost"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, took, err := netlab.Nmap(ctx, "-sn", "-n", l.CIDR())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := keys(sweep(t, labSpec(l, "icmp,arp")))
	t.Logf("nmap -sn %s: %v in %v; netsweep: %v in %v", l.CIDR(), run.Up(), took, got, time.Since(start))
	if !slices.Equal(got, run.Up()) {
		t.Fatalf("netsweep found %v, nmap -sn %v", got, run.Up())
	}
	if len(got) != 7 {
		t.Fatalf("%d live, want the gateway and 6 hosts", len(got))
	}
}

func TestConformance(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	h := l.AddHost("a")
	spec := labSpec(l, "icmp,arp")
	spec.Targets = []string{h.IP.String() + "/32"}
	sdktest.ScannerConformance(t, func(*testing.T) sdk.Scanner { return New() }, sdktest.ScannerFixture{
		Target:  spec,
		Invalid: sdk.TargetSpec{Targets: []string{"not-a-cidr"}},
	})
}

func TestSubprocess(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	h := l.AddHost("a")
	l.SetPTR(h.IP, "a.lab")
	sc := sdktest.Subprocess[sdk.Scanner](t, ".", sdk.KindScanner, sdktest.NewFakeHost(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []sdk.Asset
	if err := sc.Scan(ctx, labSpec(l, ""), func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got, func(a sdk.Asset) bool { return a.IP == h.IP.String() })
	if len(got) != 2 || i < 0 || got[i].MAC != h.MAC || got[i].Hostname != "a.lab" || got[i].Attributes["seenBy"] != "icmp,arp,rdns" {
		t.Fatalf("Scan through the real binary = %+v", got)
	}
}

// The unprivileged path: as nobody, in a namespace whose ping_group_range
// admits every group, the sweep uses a ping (datagram) socket; a raw socket
// is out of reach there.
func TestUnprivilegedPingSocket(t *testing.T) {
	if os.Getenv("NETSWEEP_HELPER_TARGET") != "" {
		helperSweep()
		return
	}
	l := netlab.New(t, netlab.Options{})
	scanner, target := l.AddHost("scanner"), l.AddHost("target")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := scanner.Exec(ctx, "sysctl", "-w", "net.ipv4.ping_group_range=0 2147483647"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "netsweep.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", scanner.NS, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^TestUnprivilegedPingSocket$")
	cmd.Env = append(os.Environ(), "NETSWEEP_HELPER_TARGET="+l.CIDR())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	_, rest, _ := strings.Cut(string(out), "ASSETS ")
	for _, methods := range []string{"icmp,arp", "arp"} {
		var js string
		js, rest, _ = strings.Cut(rest, "\n")
		var got []sdk.Asset
		if err := json.Unmarshal([]byte(js), &got); err != nil {
			t.Fatalf("helper said %s", out)
		}
		i := slices.IndexFunc(got, func(a sdk.Asset) bool { return a.IP == target.IP.String() })
		// Without a packet socket, ARP facts come from the kernel's table.
		if i < 0 || got[i].MAC != target.MAC || got[i].Attributes["seenBy"] != methods || got[i].Attributes["arpVia"] != "neighbours" ||
			(methods == "icmp,arp") != (got[i].Attributes["icmpSocket"] == "udp") {
			t.Fatalf("as nobody, %s: %+v", methods, got)
		}
		_, rest, _ = strings.Cut(rest, "ASSETS ")
	}
}

func helperSweep() {
	for _, methods := range []string{"icmp,arp", "arp"} {
		spec := sdk.TargetSpec{Targets: []string{os.Getenv("NETSWEEP_HELPER_TARGET")}, Timeout: 500 * time.Millisecond,
			Options: map[string]string{"methods": methods}}
		var got []sdk.Asset
		if err := New().Scan(context.Background(), spec, func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		b, _ := json.Marshal(got)
		fmt.Printf("ASSETS %s\n", b)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	l.AddHost("a")
	for _, methods := range []string{"icmp", "arp"} {
		spec := labSpec(l, methods)
		spec.RatePerSecond = 5 // 254 probes: nearly a minute
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		err := New().Scan(ctx, spec, func(sdk.Asset) error { return nil })
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("%s: cancelled scan returned %v after %v", methods, err, time.Since(start))
		}
	}
}

func TestRateLimitPaces(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	spec := labSpec(l, "icmp")
	spec.Targets = []string{netip.PrefixFrom(l.Gateway, 29).Masked().String()} // 6 addresses
	spec.RatePerSecond = 20
	start := time.Now()
	sweep(t, spec)
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("6 probes at 20/s took %v", d)
	}
}

func TestRefusesBadOptions(t *testing.T) {
	ok := []string{"10.1.2.0/24"}
	for _, spec := range []sdk.TargetSpec{
		{},
		{Targets: []string{"10.0.0.0/8"}},
		{Targets: ok, Options: map[string]string{"methods": "icmp,telepathy"}},
		{Targets: ok, Options: map[string]string{"resolver": "dns.example.com"}},
		{Targets: ok, Options: map[string]string{"retries": "9"}},
	} {
		if _, err := makePlan(spec); !errors.Is(err, sdk.ErrInvalid) {
			t.Errorf("makePlan(%+v) = %v, want invalid", spec, err)
		}
	}
	p, err := makePlan(sdk.TargetSpec{Targets: ok, Options: map[string]string{"methods": "rdns", "resolver": "10.1.2.3"}})
	if err != nil || !p.icmp || !p.arp || !p.rdns || p.resolver != "10.1.2.3:53" || len(p.addrs) != 256 { // every address given (the server leaves network and broadcast out)
		t.Fatalf("rdns alone: %+v, %v", p, err)
	}
}

func TestUnescape(t *testing.T) {
	got := unescape(`\<img\ src\=x\ onerror\=alert\(1\)\>\000\255`)
	if got != "<img src=x onerror=alert(1)>\x00\xff" {
		t.Fatalf("unescape = %q", got)
	}
	if c := clean(got); c != "<img src=x onerror=alert(1)>\uFFFD" {
		t.Fatalf("clean = %q", c)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }
