package main

import (
	"context"
	"net"
	"os"
	"time"
)

// Source addresses: agent k dials from 127.0.X.Y, cycling over
// 127.0.1.1–127.0.255.254. Linux routes all of 127/8 to the loopback
// interface, so any of them can be bound without configuration; spreading
// the links over them keeps the ~28 000 ephemeral ports of one source
// address from ever limiting the simulation, and gives each agent its own
// address for the server's per-address enrollment limit.
const (
	srcAddrs  = 255 * 254
	maxAgents = 1_000_000
)

// srcIP is the loopback source address of agent k.
func srcIP(k, offset int) net.IP {
	i := (k + offset) % srcAddrs
	return net.IPv4(127, 0, byte(1+i/254), byte(1+i%254))
}

type srcKey struct{}

// withSource makes dialContext bind to ip.
func withSource(ctx context.Context, ip net.IP) context.Context {
	return context.WithValue(ctx, srcKey{}, ip)
}

// dialContext dials from the source address in ctx, if any.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 15 * time.Second}
	if ip, ok := ctx.Value(srcKey{}).(net.IP); ok {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d.DialContext(ctx, network, addr)
}

func envPassword() string { return os.Getenv("BREEZE_SIM_PASSWORD") }
