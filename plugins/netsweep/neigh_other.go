//go:build !linux

package main

import (
	"errors"
	"net/netip"
)

// neighbours: the table is read on Linux only so far.
func neighbours() (map[netip.Addr]neighbour, error) {
	return nil, errors.New("neighbour table: not supported on this OS")
}
