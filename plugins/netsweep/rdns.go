package main

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// lookupPTR returns the reverse-DNS names of a, verbatim (a hostile name is
// data; whoever shows it escapes it), without the final dot. It asks the
// resolver when one is given, else the system's servers (/etc/resolv.conf),
// else the OS resolver.
func lookupPTR(ctx context.Context, resolver string, a netip.Addr, timeout time.Duration) ([]string, error) {
	servers := []string{resolver}
	if resolver == "" {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(conf.Servers) == 0 {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return net.DefaultResolver.LookupAddr(ctx, a.String())
		}
		servers = servers[:0]
		for _, s := range conf.Servers {
			servers = append(servers, net.JoinHostPort(s, conf.Port))
		}
	}
	rev, err := dns.ReverseAddr(a.String())
	if err != nil {
		return nil, err
	}
	q := new(dns.Msg)
	q.SetQuestion(rev, dns.TypePTR)
	var lastErr error
	for _, server := range servers {
		in, err := exchange(ctx, q, server, timeout)
		if err != nil {
			lastErr = err
			continue
		}
		var names []string
		for _, rr := range in.Answer {
			if ptr, ok := rr.(*dns.PTR); ok {
				if n := unescape(strings.TrimSuffix(ptr.Ptr, ".")); n != "" {
					names = append(names, clean(n))
				}
			}
		}
		return names, nil
	}
	return nil, lastErr
}

// clean makes a name storable and sendable: valid UTF-8, no NUL bytes
// (a DNS label may hold any byte), otherwise as it was.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// exchange asks over UDP, and over TCP when the answer was truncated.
func exchange(ctx context.Context, q *dns.Msg, server string, timeout time.Duration) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &dns.Client{Timeout: timeout}
	in, _, err := c.ExchangeContext(ctx, q, server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, q, server)
	}
	return in, err
}

// unescape turns a presentation-format name (\DDD and \X escapes) back into
// the bytes that were on the wire.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			out = append(out, (s[i+1]-'0')*100+(s[i+2]-'0')*10+(s[i+3]-'0'))
			i += 3
			continue
		}
		out = append(out, s[i+1])
		i++
	}
	return string(out)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
