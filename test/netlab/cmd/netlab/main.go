//go:build linux

// Command netlab makes a lab of real hosts (test/netlab) for a test that is
// not written in Go (web/e2e's discovery step): it builds the lab a JSON spec
// describes, prints the lab as one JSON line, then reads commands on stdin,
// one a line, answering each with one JSON line:
//
//	add {"name":"joined","tcp":[2222]}   a host (fields as in the spec's hosts)
//	remove 10.77.3.5                     a host leaves
//
// EOF on stdin, SIGTERM or SIGINT tear everything down (namespaces, veths,
// the bridge) and exit. It needs root. Usage:
//
//	netlab -spec '{"bits":28,"dnsPort":53,"hosts":[{"name":"web","http":8080,"ptr":"web.lab"}]}'
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/breeze-rmm/breeze/test/netlab"
)

// spec is the lab to make.
type spec struct {
	Bits    int        `json:"bits"`    // prefix length, 16..28 (default 28)
	DNSPort int        `json:"dnsPort"` // the reverse-DNS server's port on the gateway (default ephemeral)
	Hosts   []hostSpec `json:"hosts"`
}

// hostSpec is one host and its services.
type hostSpec struct {
	Name string `json:"name"`
	IP   string `json:"ip,omitempty"`   // default: the next free address
	HTTP int    `json:"http,omitempty"` // python3's http.server on this port
	TCP  []int  `json:"tcp,omitempty"`  // plain listeners
	SSH  bool   `json:"ssh,omitempty"`  // OpenSSH's sshd on 22
	SNMP string `json:"snmp,omitempty"` // snmpd (UDP 161) with this v2c community
	PTR  string `json:"ptr,omitempty"`  // its reverse-DNS name, verbatim
}

type hostOut struct {
	Name  string `json:"name"`
	IP    string `json:"ip"`
	MAC   string `json:"mac"`
	NS    string `json:"ns"`
	PTR   string `json:"ptr,omitempty"`
	Ports []int  `json:"ports"` // open TCP ports, ascending
}

type labOut struct {
	ID       string    `json:"id"`
	Bridge   string    `json:"bridge"`
	CIDR     string    `json:"cidr"`
	Gateway  string    `json:"gateway"`
	Resolver string    `json:"resolver"`
	Hosts    []hostOut `json:"hosts"`
}

func main() {
	specText := flag.String("spec", "", "the lab as JSON (default: read from the first line of stdin)")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "netlab: network namespaces need root")
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	raw := *specText
	if raw == "" && in.Scan() {
		raw = in.Text()
	}
	var s spec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		fmt.Fprintf(os.Stderr, "netlab: spec: %v\n", err)
		os.Exit(2)
	}
	if s.Bits == 0 {
		s.Bits = 28
	}
	t := &tb{}
	var teardown sync.Once
	down := func(code int) {
		teardown.Do(func() {
			t.cleanup()
			os.Exit(code)
		})
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var mu sync.Mutex // a command and the teardown never overlap
	go func() {
		<-sigs
		mu.Lock()
		down(0)
	}()

	mu.Lock()
	var lab *netlab.Lab
	hosts := map[string]hostOut{}
	var handles = map[string]*netlab.Host{}
	err := t.try(func() {
		lab = netlab.New(t, netlab.Options{Bits: s.Bits, DNSPort: s.DNSPort})
		for _, hs := range s.Hosts {
			h, out := addHost(t, lab, hs)
			hosts[out.IP], handles[out.IP] = out, h
		}
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab: %v\n", err)
		down(1)
	}
	out := labOut{ID: lab.ID, Bridge: lab.Bridge, CIDR: lab.CIDR(), Gateway: lab.Gateway.String(), Resolver: lab.Resolver()}
	for _, h := range lab.Hosts() {
		out.Hosts = append(out.Hosts, hosts[h.IP.String()])
	}
	reply(out)
	mu.Unlock()

	for in.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(in.Text()), " ")
		mu.Lock()
		switch cmd {
		case "":
		case "add":
			var hs hostSpec
			if err := json.Unmarshal([]byte(arg), &hs); err != nil {
				reply(map[string]string{"error": "add: " + err.Error()})
				break
			}
			var h *netlab.Host
			var o hostOut
			if err := t.try(func() { h, o = addHost(t, lab, hs) }); err != nil {
				reply(map[string]string{"error": "add: " + err.Error()})
				break
			}
			handles[o.IP] = h
			reply(o)
		case "remove":
			h := handles[strings.TrimSpace(arg)]
			if h == nil {
				reply(map[string]string{"error": "remove: no host " + arg})
				break
			}
			lab.RemoveHost(h)
			lab.SetPTR(h.IP, "")
			delete(handles, h.IP.String())
			reply(map[string]string{"removed": h.IP.String()})
		default:
			reply(map[string]string{"error": "unknown command " + cmd + ": want add or remove"})
		}
		mu.Unlock()
	}
	mu.Lock()
	down(0)
}

// addHost adds one host with its services; a failure ends t.try.
func addHost(t *tb, lab *netlab.Lab, hs hostSpec) (*netlab.Host, hostOut) {
	o := netlab.HostOptions{}
	if hs.IP != "" {
		a, err := netip.ParseAddr(hs.IP)
		if err != nil {
			t.Fatalf("host %s: %v", hs.Name, err)
		}
		o.IP = a
	}
	h := lab.AddHostWith(hs.Name, o)
	var ports []int
	must := func(err error) {
		if err != nil {
			t.Fatalf("host %s: %v", hs.Name, err)
		}
	}
	for _, p := range hs.TCP {
		must(h.ListenTCP(p))
		ports = append(ports, p)
	}
	if hs.HTTP > 0 {
		must(h.ServeHTTP(hs.HTTP))
		ports = append(ports, hs.HTTP)
	}
	if hs.SSH {
		must(h.StartSSHD())
		ports = append(ports, 22)
	}
	if hs.SNMP != "" {
		must(h.StartSNMP(netlab.SNMPConfig{Community: hs.SNMP, SysName: hs.Name}))
	}
	if hs.PTR != "" {
		lab.SetPTR(h.IP, hs.PTR)
	}
	slices.Sort(ports)
	if ports == nil {
		ports = []int{}
	}
	return h, hostOut{Name: hs.Name, IP: h.IP.String(), MAC: h.MAC, NS: h.NS, PTR: hs.PTR, Ports: ports}
}

func reply(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}
