package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// DialTCP is held to the policy like Do: loopback is refused (and nothing
// reaches the listener) unless the operator allows it.
func TestDialTCPFollowsThePolicy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	ctx := context.Background()
	port := l.Addr().(*net.TCPAddr).Port
	for _, addr := range []string{l.Addr().String(), net.JoinHostPort("localhost", strings.TrimPrefix(l.Addr().String(), "127.0.0.1:"))} {
		if _, err := NewClient(Policy{}, 1024).DialTCP(ctx, addr); !errors.Is(err, ErrRefused) {
			t.Fatalf("DialTCP(%s) with no allow-list = %v; want refused", addr, err)
		}
	}
	select {
	case <-accepted:
		t.Fatal("a refused dial reached the listener")
	default:
	}
	allowed := NewClient(Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, 1024)
	conn, err := allowed.DialTCP(ctx, l.Addr().String())
	if err != nil {
		t.Fatalf("DialTCP to an allowed address (port %d): %v", port, err)
	}
	defer conn.Close()
	peer := <-accepted
	defer peer.Close()
	go func() { _, _ = io.WriteString(peer, "220 hello\r\n") }()
	buf := make([]byte, 11)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "220 hello\r\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	// A plugin cannot push more than MaxConnBytes through one connection.
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	if _, err := conn.Write(make([]byte, MaxConnBytes+1)); !errors.Is(err, errConnCap) {
		t.Fatalf("write over the cap = %v", err)
	}
}
