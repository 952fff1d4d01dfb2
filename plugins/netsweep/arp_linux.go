package main

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// link is a directly attached IPv4 network: ARP reaches its hosts.
type link struct {
	ifindex int
	mac     net.HardwareAddr
	src     netip.Addr
	prefix  netip.Prefix
}

func links() []link {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []link
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) != 6 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			ones, _ := ipn.Mask.Size()
			if ip = ip.Unmap(); ok && ip.Is4() && ones < 32 {
				out = append(out, link{ifindex: ifc.Index, mac: ifc.HardwareAddr, src: ip, prefix: netip.PrefixFrom(ip, ones).Masked()})
			}
		}
	}
	return out
}

// arpSweep asks each target on a directly attached network who has it,
// with ARP requests from a packet socket (as nmap does on a LAN): an answer
// proves the host is on the link now, and names its MAC. ok is false when
// the socket is out of reach (not root, no CAP_NET_RAW): the caller then
// reads the kernel's neighbour table instead. onLink holds the targets ARP
// could ask (on an attached network, not this machine's own address).
func arpSweep(ctx context.Context, p plan) (macs map[netip.Addr]string, onLink map[netip.Addr]bool, ok bool, err error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return nil, nil, false, nil
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 50000}); err != nil {
		return nil, nil, false, nil
	}
	ls := links()
	via := map[netip.Addr]link{}
	var local []netip.Addr
	for _, a := range p.addrs {
		for _, l := range ls {
			if l.prefix.Contains(a) && a != l.src {
				via[a] = l
				local = append(local, a)
				break
			}
		}
	}
	macs, onLink = map[netip.Addr]string{}, map[netip.Addr]bool{}
	for _, a := range local {
		onLink[a] = true
	}
	if len(local) == 0 {
		return macs, onLink, true, nil
	}
	tr := newTracker(p)
	var (
		mu   sync.Mutex
		stop atomic.Bool
		done = make(chan struct{})
	)
	go func() { // replies, until stopped
		defer close(done)
		buf := make([]byte, 256)
		for !stop.Load() {
			n, from, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					continue
				}
				return
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype == unix.PACKET_OUTGOING || n < 28 {
				continue
			}
			pkt := buf[:n]
			if binary.BigEndian.Uint16(pkt[6:8]) != 2 || pkt[4] != 6 || pkt[5] != 4 { // a reply, Ethernet/IPv4
				continue
			}
			spa := netip.AddrFrom4([4]byte(pkt[14:18]))
			mac := net.HardwareAddr(pkt[8:14]).String()
			if _, wanted := via[spa]; wanted {
				mu.Lock()
				if macs[spa] == "" {
					macs[spa] = mac
				}
				mu.Unlock()
				tr.answered(spa)
			}
		}
	}()
	defer func() { stop.Store(true); <-done }()
	lp := p
	lp.addrs = local
	alive, err := tr.run(ctx, lp, func(a netip.Addr, _ int) bool {
		l := via[a]
		pkt := make([]byte, 28)
		binary.BigEndian.PutUint16(pkt[0:2], 1)      // Ethernet
		binary.BigEndian.PutUint16(pkt[2:4], 0x0800) // IPv4
		pkt[4], pkt[5] = 6, 4
		binary.BigEndian.PutUint16(pkt[6:8], 1) // request
		copy(pkt[8:14], l.mac)
		src, dst := l.src.As4(), a.As4()
		copy(pkt[14:18], src[:])
		copy(pkt[24:28], dst[:])
		to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: l.ifindex, Halen: 6,
			Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
		return writeRetry(ctx, p.timeout, func() error { return unix.Sendto(fd, pkt, 0, to) }) == nil
	})
	if err != nil {
		return nil, nil, true, err
	}
	stop.Store(true)
	<-done
	out := map[netip.Addr]string{}
	mu.Lock()
	for a := range alive {
		out[a] = macs[a]
	}
	mu.Unlock()
	return out, onLink, true, nil
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
