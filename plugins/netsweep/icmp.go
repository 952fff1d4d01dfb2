package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// listenICMP opens an ICMP endpoint: the unprivileged datagram ("ping")
// socket when the OS lets this process use it (on Linux when one of its
// groups is inside net.ipv4.ping_group_range), else a raw socket, which
// needs root (or CAP_NET_RAW). It names the kind it opened: "udp" or "raw".
func listenICMP() (*icmp.PacketConn, string, error) {
	var errs []error
	if pingGroupAllows() {
		c, err := icmp.ListenPacket("udp4", "0.0.0.0")
		if err == nil {
			return c, "udp", nil
		}
		errs = append(errs, fmt.Errorf("ping socket: %w", err))
	}
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err == nil {
		return c, "raw", nil
	}
	errs = append(errs, fmt.Errorf("raw socket: %w", err))
	return nil, "", fmt.Errorf("icmp: no socket (allow the agent's group in net.ipv4.ping_group_range or run it as root): %w", errors.Join(errs...))
}

// pingGroupAllows reads Linux's ping_group_range; elsewhere it just tries.
func pingGroupAllows() bool {
	if runtime.GOOS != "linux" {
		return true
	}
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	lo, err1 := strconv.ParseInt(f[0], 10, 64)
	hi, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	groups, _ := os.Getgroups()
	for _, g := range append(groups, os.Getegid()) {
		if int64(g) >= lo && int64(g) <= hi {
			return true
		}
	}
	return false
}

// pinger sends ICMP echo requests through one socket and hands the
// replies to the tracker.
type pinger struct {
	c     *icmp.PacketConn
	raw   bool
	id    int
	token []byte
	tr    *tracker
}

// ping sweeps p.addrs with echo requests (plus p.retries rounds for the
// silent ones) and names the socket kind it used.
func ping(ctx context.Context, p plan) (map[netip.Addr]time.Duration, string, error) {
	c, mode, err := listenICMP()
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	pg := &pinger{c: c, raw: mode == "raw", token: make([]byte, 16), tr: newTracker(p)}
	_, _ = rand.Read(pg.token)
	pg.id = int(pg.token[0])<<8 | int(pg.token[1]) // a datagram socket's id is the kernel's
	done := make(chan struct{})
	go pg.read(done)
	defer func() { c.Close(); <-done }()
	alive, err := pg.tr.run(ctx, p, func(a netip.Addr, seq int) bool {
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: pg.id, Seq: seq & 0xffff, Data: pg.token}}
		b, _ := msg.Marshal(nil)
		var dst net.Addr = &net.IPAddr{IP: a.AsSlice()}
		if !pg.raw {
			dst = &net.UDPAddr{IP: a.AsSlice()}
		}
		return writeRetry(ctx, p.timeout, func() error { _, err := c.WriteTo(b, dst); return err }) == nil
	})
	return alive, mode, err
}

// read takes echo replies until the socket closes.
func (pg *pinger) read(done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 1500)
	for {
		n, peer, err := pg.c.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		// A raw socket sees every reply on the machine: ours carry our id
		// and token. A datagram socket sees only its own.
		if !ok || !bytes.Equal(echo.Data, pg.token) || (pg.raw && echo.ID != pg.id) {
			continue
		}
		var ip net.IP
		switch a := peer.(type) {
		case *net.IPAddr:
			ip = a.IP
		case *net.UDPAddr:
			ip = a.IP
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			pg.tr.answered(addr.Unmap())
		}
	}
}

// udpNudge sends one empty datagram to the discard port of every address,
// paced like the probes, so the kernel resolves the neighbours on the link;
// it then waits the probe timeout for the answers.
func udpNudge(ctx context.Context, p plan) {
	c, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		return
	}
	defer c.Close()
	pace := newPacer(p.interval)
	for _, a := range p.addrs {
		if pace.wait(ctx) != nil {
			return
		}
		dst := &net.UDPAddr{IP: a.AsSlice(), Port: 9}
		_ = writeRetry(ctx, p.timeout, func() error { _, err := c.WriteTo(nil, dst); return err })
	}
	select {
	case <-time.After(p.timeout):
	case <-ctx.Done():
	}
}
