//go:build linux

package netlab

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestHostsServicesAndRemoval(t *testing.T) {
	l := New(t, Options{})
	a, b := l.AddHost("a"), l.AddHost("b")
	if !l.Net.Contains(a.IP) || a.IP == b.IP || a.MAC == b.MAC {
		t.Fatalf("hosts %v %v on %s", a, b, l.Net)
	}
	if err := a.ListenTCP(2222); err != nil {
		t.Fatal(err)
	}
	if err := b.ServeHTTP(8080); err != nil {
		t.Fatal(err)
	}
	if err := b.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	if banner, err := b.Banner(context.Background(), 22); err != nil || !strings.HasPrefix(banner, "SSH-2.0-") {
		t.Fatalf("sshd banner %q, %v", banner, err)
	}
	if err := waitTCP(a.IP, 2222, time.Second); err != nil {
		t.Fatalf("listener on a: %v", err)
	}
	// The MAC the host has is the one the lab says.
	out, err := b.Exec(context.Background(), "ip", "-o", "link", "show", "eth0")
	if err != nil || !strings.Contains(string(out), b.MAC) {
		t.Fatalf("eth0 of b: %s, %v; want MAC %s", out, err, b.MAC)
	}
	// Hosts reach each other across the bridge.
	connect := "import socket, sys; socket.create_connection((sys.argv[1], 8080), 2)"
	if _, err := a.Exec(context.Background(), "python3", "-c", connect, b.IP.String()); err != nil {
		t.Fatalf("a → b: %v", err)
	}
	l.RemoveHost(a)
	if err := exec.Command("ip", "netns", "exec", a.NS, "true").Run(); err == nil {
		t.Fatalf("namespace %s still there", a.NS)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(a.IP.String(), "2222"), 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("removed host still answers")
	}
	if hs := l.Hosts(); len(hs) != 1 || hs[0] != b {
		t.Fatalf("Hosts = %v", hs)
	}
}

func TestReverseDNS(t *testing.T) {
	l := New(t, Options{})
	ip := netip.MustParseAddr(l.Gateway.Next().String())
	hostile := "<img src=x onerror=alert(1)>"
	l.SetPTR(ip, hostile)
	rev, _ := dns.ReverseAddr(ip.String())
	m := new(dns.Msg)
	m.SetQuestion(rev, dns.TypePTR)
	in, _, err := new(dns.Client).Exchange(m, l.Resolver())
	if err != nil || len(in.Answer) != 1 {
		t.Fatalf("PTR %s: %v %v", rev, in, err)
	}
	// On the wire the label is the hostile bytes themselves.
	if got := in.Answer[0].(*dns.PTR).Ptr; got != `<img\ src=x\ onerror=alert\(1\)>.` {
		t.Fatalf("PTR = %q", got)
	}
	m.SetQuestion("4.3.2.1.in-addr.arpa.", dns.TypePTR)
	if in, _, err = new(dns.Client).Exchange(m, l.Resolver()); err != nil || in.Rcode != dns.RcodeNameError {
		t.Fatalf("unknown name: %v %v", in, err)
	}
}

func TestSNMPD(t *testing.T) {
	Require(t, "snmpd", "snmpget")
	l := New(t, Options{})
	h := l.AddHost("snmp")
	if err := h.StartSNMP(SNMPConfig{Community: "labro", User: "labuser", AuthPass: "authpass123", PrivPass: "privpass123",
		SysName: "lab-switch", SysDescr: "<script>x</script>", SysLocation: "rack 1"}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("snmpget", "-v3", "-l", "authPriv", "-u", "labuser", "-a", "SHA", "-A", "authpass123",
		"-x", "AES", "-X", "privpass123", "-Oqv", h.IP.String(), "1.3.6.1.2.1.1.1.0").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != `"<script>x</script>"` && strings.TrimSpace(string(out)) != `<script>x</script>` {
		t.Fatalf("snmpget v3 sysDescr: %s %v", out, err)
	}
}

func TestSweepRemovesStaleLabsOnly(t *testing.T) {
	live := New(t, Options{})
	h := live.AddHost("kept")
	// A lab whose owner died: a namespace and a veth with no state file.
	stale := Prefix + "dead00"
	_ = ip("netns", "add", stale+"-1")
	_ = ip("link", "add", stale+"v1", "type", "veth", "peer", "name", "x"+stale)
	t.Cleanup(func() { _ = ip("netns", "del", stale+"-1"); _ = ip("link", "del", stale+"v1") })
	Sweep()
	if err := exec.Command("ip", "netns", "exec", stale+"-1", "true").Run(); err == nil {
		t.Error("stale namespace survived the sweep")
	}
	if err := ip("link", "show", stale+"v1"); err == nil {
		t.Error("stale veth survived the sweep")
	}
	if err := exec.Command("ip", "netns", "exec", h.NS, "true").Run(); err != nil {
		t.Errorf("the live lab's host went: %v", err)
	}
}

func TestPrefixesAvoidEachOther(t *testing.T) {
	a, b := New(t, Options{}), New(t, Options{Bits: 20})
	if a.Net.Overlaps(b.Net) || b.Net.Bits() != 20 {
		t.Fatalf("labs %s and %s", a.Net, b.Net)
	}
}
