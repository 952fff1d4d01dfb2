//go:build !linux

package main

import (
	"context"
	"net/netip"
)

// arpSweep: packet sockets are Linux's; elsewhere the neighbour table speaks.
func arpSweep(context.Context, plan) (map[netip.Addr]string, map[netip.Addr]bool, bool, error) {
	return nil, nil, false, nil
}
