package egress

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
)

func TestPolicyRefusesInternalRanges(t *testing.T) {
	var p Policy
	for _, s := range []string{
		"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
		"169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fc00::1",
		"fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
	} {
		if p.Permits(netip.MustParseAddr(s)) {
			t.Errorf("%s permitted", s)
		}
	}
	for _, s := range []string{"93.184.215.14", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"} {
		if !p.Permits(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
}

func TestAllowListOpensOnlyWhatItNames(t *testing.T) {
	allow, err := ParseAllow(" 127.0.0.1, 10.20.0.0/16 ,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Allow: allow}
	for s, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.2": false, "10.20.1.1": true, "10.21.0.1": false, "fd00::5": true,
		"169.254.169.254": false, "::ffff:127.0.0.1": true,
	} {
		if got := p.Permits(netip.MustParseAddr(s)); got != want {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
	if _, err := ParseAllow("10.0.0.0/33"); err == nil {
		t.Error("bad CIDR accepted")
	}
	if _, err := ParseAllow("example.com"); err == nil {
		t.Error("a name accepted")
	}
}

// The check is on the address dialled, after resolution: a name that
// resolves to loopback is refused, and nothing reaches the listener.
func TestClientChecksTheAddressItDials(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	c := NewClient(Policy{}, 1024)
	for _, u := range []string{srv.URL, "http://localhost:" + strconv.Itoa(int(port)) + "/", "ftp://93.184.215.14/"} {
		if _, err := c.Do(context.Background(), Request{Method: "POST", URL: u}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the loopback listener got %d requests", hits)
	}
	allow, _ := ParseAllow("127.0.0.1")
	r, err := NewClient(Policy{Allow: allow}, 1024).Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	if err != nil || r.StatusCode != 200 || hits != 1 {
		t.Fatalf("allowed: %+v %v (hits %d)", r, err, hits)
	}
}
