//go:build linux

package netlab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Prefix starts the name of every bridge, veth and namespace a lab makes.
const Prefix = "bzl"

// stateDir holds one file per live lab naming its owner's pid, so that the
// sweep of one test process never removes a lab another one is using.
var stateDir = "/run/breeze-netlab"

// Options shape a lab.
type Options struct {
	// Bits is the prefix length of the lab's network: 24 by default, 16..28.
	Bits int
	// DNSPort is the port of the lab's reverse-DNS server on the gateway
	// address: ephemeral by default; 53 lets a process whose resolv.conf
	// names the gateway (cmd/netlab's users) resolve through it.
	DNSPort int
}

// Lab is one bridge, its network and the hosts on it.
type Lab struct {
	t       testing.TB
	ID      string       // random, 6 hex digits
	Bridge  string       // the bridge's interface name
	Net     netip.Prefix // the lab's network
	Gateway netip.Addr   // the bridge's address (the scanner's side)
	dir     string

	mu    sync.Mutex
	hosts map[netip.Addr]*Host
	seq   int
	dns   *dnsServer
}

// New builds a lab and removes it when the test ends. It fails the test with
// a clear message when it cannot (not root, iproute2 missing).
func New(t testing.TB, o Options) *Lab {
	t.Helper()
	Require(t, "ip")
	if os.Geteuid() != 0 {
		t.Fatal("netlab: network namespaces need root")
	}
	if o.Bits == 0 {
		o.Bits = 24
	}
	if o.Bits < 16 || o.Bits > 28 {
		t.Fatalf("netlab: Bits %d: want 16..28", o.Bits)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	unlock, err := lock()
	if err != nil {
		t.Fatalf("netlab: %v", err)
	}
	Sweep()
	l := &Lab{t: t, ID: randomID(), hosts: map[netip.Addr]*Host{}, dir: t.TempDir()}
	l.Bridge = Prefix + l.ID
	if err := os.WriteFile(l.statePath(), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		unlock()
		t.Fatalf("netlab: %v", err)
	}
	t.Cleanup(l.close)
	l.Net, err = freePrefix(o.Bits)
	if err == nil {
		l.Gateway = l.Net.Addr().Next()
		err = runAll(
			[]string{"link", "add", l.Bridge, "type", "bridge"},
			[]string{"addr", "add", netip.PrefixFrom(l.Gateway, o.Bits).String(), "dev", l.Bridge},
			[]string{"link", "set", l.Bridge, "up"},
		)
	}
	unlock() // the route now exists: the next lab's freePrefix sees it
	if err != nil {
		t.Fatalf("netlab: %v", err)
	}
	if l.dns, err = startDNS(l.Gateway, o.DNSPort); err != nil {
		t.Fatalf("netlab: dns: %v", err)
	}
	t.Logf("netlab: lab %s on %s (bridge %s, gateway %s)", l.ID, l.Net, l.Bridge, l.Gateway)
	return l
}

// CIDR is the lab's network as a scanner target.
func (l *Lab) CIDR() string { return l.Net.String() }

// Resolver is the host:port of the lab's DNS server (see SetPTR).
func (l *Lab) Resolver() string { return l.dns.addr }

// SetPTR makes the lab's DNS server answer a reverse lookup of ip with name,
// verbatim (a hostile name too). An empty name removes the record.
func (l *Lab) SetPTR(ip netip.Addr, name string) { l.dns.set(ip, name) }

// Addr is the n-th address of the lab's network (0 is the network itself).
func (l *Lab) Addr(n int) netip.Addr {
	b := l.Net.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) + uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Hosts returns the hosts now on the lab, in address order.
func (l *Lab) Hosts() []*Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*Host, 0, len(l.hosts))
	for a := l.Net.Addr(); l.Net.Contains(a); a = a.Next() {
		if h := l.hosts[a]; h != nil {
			out = append(out, h)
		}
		if len(out) == len(l.hosts) {
			break
		}
	}
	return out
}

func (l *Lab) statePath() string { return filepath.Join(stateDir, l.ID) }

func (l *Lab) close() {
	for _, h := range l.Hosts() {
		l.RemoveHost(h)
	}
	if l.dns != nil {
		l.dns.close()
	}
	if err := ip("link", "del", l.Bridge); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
		l.t.Errorf("netlab: removing bridge: %v", err)
	}
	_ = os.Remove(l.statePath())
}

// Require fails the test, naming the Debian package, when a program is missing.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	pkg := map[string]string{"ip": "iproute2", "nmap": "nmap", "snmpd": "snmpd", "snmpget": "snmp", "python3": "python3"}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if _, err := os.Stat("/usr/sbin/" + p); err == nil {
				continue
			}
			t.Fatalf("netlab: %s is not installed: apt-get install %s (scripts/test-services.sh installs it)", p, pkg[p])
		}
	}
}

func randomID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func runAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := ip(c...); err != nil {
			return err
		}
	}
	return nil
}
