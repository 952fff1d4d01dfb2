//go:build linux

package netlab

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// benchPorts are the 20 ports of the discovery measurement (and of
// plugins/tcpscan's comparison with nmap).
var benchPorts = []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080, 8443}

// BenchmarkDiscovery times Breeze's discovery (the netsweep and tcpscan
// plugins as real binaries through the plugin protocol, as the agent runs
// them) against nmap on the same lab: a /24 and a /20, each with a handful
// of hosts spread over the range. Run it with scripts/bench-discovery.sh
// (make bench-discovery); one pass is the measurement.
func BenchmarkDiscovery(b *testing.B) {
	Require(b, "nmap")
	sweeper := sdktest.Subprocess[sdk.Scanner](b, "../../plugins/netsweep", sdk.KindScanner, sdktest.NewFakeHost(nil))
	ports := sdktest.Subprocess[sdk.Scanner](b, "../../plugins/tcpscan", sdk.KindScanner, sdktest.NewFakeHost(nil))
	var report []string
	for _, bits := range []int{24, 20} {
		report = append(report, benchLab(b, bits, sweeper, ports)...)
	}
	fmt.Fprintf(os.Stderr, "\n%s\n", strings.Join(report, "\n"))
}

func benchLab(b *testing.B, bits int, sweeper, ports sdk.Scanner) []string {
	l := New(b, Options{Bits: bits})
	size := 1 << (32 - bits)
	// Eight hosts from the start to the end of the range, each with a few
	// of the ports open (the first serves HTTP with python).
	for i := range 8 {
		h := l.AddHostWith(fmt.Sprintf("h%d", i), HostOptions{IP: l.Addr(2 + i*(size-4)/8)})
		if i == 0 {
			if err := h.ServeHTTP(80); err != nil {
				b.Fatal(err)
			}
		}
		for _, p := range benchPorts[i%4*3 : i%4*3+3+i%3] {
			if p == 80 && i == 0 {
				continue
			}
			if err := h.ListenTCP(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	sweepSpec := sdk.TargetSpec{Targets: []string{l.CIDR()}, Concurrency: 4096, RatePerSecond: 2000, Timeout: time.Second,
		Options: map[string]string{"methods": "icmp"}}
	var lines []string
	timeScan := func(s sdk.Scanner, spec sdk.TargetSpec) ([]sdk.Asset, time.Duration) {
		start := time.Now()
		var got []sdk.Asset
		if err := s.Scan(ctx, spec, func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
			b.Fatal(err)
		}
		return got, time.Since(start)
	}
	live, tSweep := timeScan(sweeper, sweepSpec)
	arpSpec := sweepSpec
	arpSpec.Options = map[string]string{"methods": "icmp,arp"}
	liveARP, tSweepARP := timeScan(sweeper, arpSpec)
	var hosts []string
	for _, a := range live {
		hosts = append(hosts, a.IP)
	}
	hosts = SortIPs(hosts)
	portSpec := sdk.TargetSpec{Targets: hosts, Ports: benchPorts, Concurrency: 64, RatePerSecond: 2000, Timeout: time.Second}
	open, tPorts := timeScan(ports, portSpec)

	nmapSweep, tNmapSweep, err := Nmap(ctx, "-sn", "-n", l.CIDR())
	if err != nil {
		b.Fatal(err)
	}
	nmapPorts, tNmapPorts, err := Nmap(ctx, append([]string{"-n", "-Pn", "-p", Ports(benchPorts)}, hosts...)...)
	if err != nil {
		b.Fatal(err)
	}
	_, tNmapAll, err := Nmap(ctx, "-n", "-p", Ports(benchPorts), l.CIDR())
	if err != nil {
		b.Fatal(err)
	}

	same := "same live hosts"
	if !slices.Equal(hosts, nmapSweep.Up()) || len(liveARP) != len(live) {
		same = fmt.Sprintf("DIFFERENT live hosts: breeze %v (icmp,arp: %d), nmap %v", hosts, len(liveARP), nmapSweep.Up())
	}
	openN, nmapOpenN := 0, 0
	for _, a := range open {
		openN += len(a.OpenPorts)
	}
	for _, ps := range nmapPorts.OpenTCP() {
		nmapOpenN += len(ps)
	}
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f", a.Seconds()/b.Seconds()) }
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	lines = append(lines,
		fmt.Sprintf("/%d (%d addresses, %d live, %s; open ports breeze %d nmap %d):", bits, size-2, len(hosts), same, openN, nmapOpenN),
		fmt.Sprintf("  sweep  netsweep icmp %s, icmp,arp %s | nmap -sn %s | ratio icmp %s, icmp,arp %s",
			r(tSweep), r(tSweepARP), r(tNmapSweep), ratio(tSweep, tNmapSweep), ratio(tSweepARP, tNmapSweep)),
		fmt.Sprintf("  ports  tcpscan 20 ports on the live hosts %s | nmap -Pn -p <20> <live> %s | ratio %s",
			r(tPorts), r(tNmapPorts), ratio(tPorts, tNmapPorts)),
		fmt.Sprintf("  total  breeze icmp %s, icmp,arp %s | nmap -sn + nmap -p %s | ratio icmp %s, icmp,arp %s",
			r(tSweep+tPorts), r(tSweepARP+tPorts), r(tNmapSweep+tNmapPorts),
			ratio(tSweep+tPorts, tNmapSweep+tNmapPorts), ratio(tSweepARP+tPorts, tNmapSweep+tNmapPorts)),
		fmt.Sprintf("  (one nmap -n -p <20> %s, discovery included: %s)", l.CIDR(), r(tNmapAll)),
	)
	b.ReportMetric(tSweep.Seconds(), fmt.Sprintf("s-sweep/%d", bits))
	b.ReportMetric(tNmapSweep.Seconds(), fmt.Sprintf("s-nmap-sn/%d", bits))
	return lines
}
