package main

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// Neighbour states (include/uapi/linux/neighbour.h).
const (
	nudIncomplete = 0x01
	nudReachable  = 0x02
	nudDelay      = 0x08
	nudProbe      = 0x10
	nudFailed     = 0x20
	ndaDst        = 1
	ndaLLAddr     = 2
	ndaCacheInfo  = 3
	userHZ        = 100 // the kernel reports cache ages in clock ticks of 1/100 s
)

// neighbours dumps the IPv4 neighbour table over rtnetlink, which tells an
// entry's state and when the neighbour last confirmed it; /proc/net/arp, the
// fallback, does not (its entries give a MAC but never prove a host live).
func neighbours() (map[netip.Addr]neighbour, error) {
	b, err := syscall.NetlinkRIB(syscall.RTM_GETNEIGH, syscall.AF_INET)
	if err != nil {
		return procARP()
	}
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return procARP()
	}
	out := map[netip.Addr]neighbour{}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWNEIGH || len(m.Data) < 12 {
			continue
		}
		state := binary.NativeEndian.Uint16(m.Data[8:10])
		var (
			addr      netip.Addr
			mac       net.HardwareAddr
			confirmed = time.Duration(-1)
		)
		for rest := m.Data[12:]; len(rest) >= 4; {
			l := int(binary.NativeEndian.Uint16(rest[0:2]))
			typ := binary.NativeEndian.Uint16(rest[2:4])
			if l < 4 || l > len(rest) {
				break
			}
			val := rest[4:l]
			switch typ {
			case ndaDst:
				addr, _ = netip.AddrFromSlice(val)
			case ndaLLAddr:
				mac = net.HardwareAddr(append([]byte(nil), val...))
			case ndaCacheInfo: // struct nda_cacheinfo: confirmed, used, updated, refcnt
				if len(val) >= 4 {
					confirmed = time.Duration(binary.NativeEndian.Uint32(val[0:4])) * time.Second / userHZ
				}
			}
			rest = rest[min((l+3)&^3, len(rest)):]
		}
		if !addr.IsValid() || state&nudFailed != 0 {
			continue
		}
		n := neighbour{confirmedAgo: confirmed, reachable: state&nudReachable != 0, pending: state&(nudIncomplete|nudDelay|nudProbe) != 0}
		if state&nudIncomplete != 0 {
			n.confirmedAgo = -1
		}
		if len(mac) == 6 && !allZero(mac) {
			n.mac = mac.String()
		}
		out[addr] = n
	}
	return out, nil
}

// procARP reads /proc/net/arp: complete entries give MACs only.
func procARP() (map[netip.Addr]neighbour, error) {
	f, err := os.Open("/proc/net/arp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[netip.Addr]neighbour{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 4 || fl[2] != "0x2" {
			continue
		}
		a, err1 := netip.ParseAddr(fl[0])
		mac, err2 := net.ParseMAC(fl[3])
		if err1 == nil && err2 == nil && !allZero(mac) {
			out[a] = neighbour{mac: mac.String(), confirmedAgo: -1}
		}
	}
	return out, sc.Err()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
