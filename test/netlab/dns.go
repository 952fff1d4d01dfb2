//go:build linux

package netlab

import (
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/miekg/dns"
)

// dnsServer answers PTR queries for the lab's hosts, over UDP and TCP on one
// port of the gateway address; every other name is NXDOMAIN.
type dnsServer struct {
	addr    string
	mu      sync.Mutex
	ptr     map[string]string // reverse name → target
	servers []*dns.Server
}

func startDNS(gw netip.Addr, fixed int) (*dnsServer, error) {
	s := &dnsServer{ptr: map[string]string{}}
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	// An ephemeral UDP port (or the fixed one), then TCP on the same number
	// (retried if taken).
	for range 20 {
		if pc, err = net.ListenPacket("udp4", net.JoinHostPort(gw.String(), strconv.Itoa(fixed))); err != nil {
			return nil, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		if ln, err = net.Listen("tcp4", net.JoinHostPort(gw.String(), strconv.Itoa(port))); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, err
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.servers = []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}}
	for _, srv := range s.servers {
		go func() { _ = srv.ActivateAndServe() }()
	}
	return s, nil
}

func (s *dnsServer) set(ip netip.Addr, name string) {
	rev, _ := dns.ReverseAddr(ip.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		delete(s.ptr, rev)
		return
	}
	s.ptr[rev] = name
}

func (s *dnsServer) serve(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypePTR {
		q := r.Question[0]
		s.mu.Lock()
		target, ok := s.ptr[dns.CanonicalName(q.Name)]
		s.mu.Unlock()
		if ok {
			m.Answer = append(m.Answer, &dns.PTR{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60},
				Ptr: dns.Fqdn(escapeName(target)),
			})
		}
	}
	if len(m.Answer) == 0 {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// escapeName writes name in presentation format so that its bytes go on the
// wire as they are (dots still separate labels).
func escapeName(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			out = append(out, c)
		case c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$' || c == ' ':
			out = append(out, '\\', c)
		case c < 0x21 || c > 0x7e:
			out = append(out, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

func (s *dnsServer) close() {
	for _, srv := range s.servers {
		_ = srv.Shutdown()
	}
}
