//go:build linux

package netlab

import (
	"context"
	"encoding/xml"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NmapRun is the part of nmap's XML output (-oX) the comparisons read.
type NmapRun struct {
	Hosts []struct {
		Status struct {
			State string `xml:"state,attr"`
		} `xml:"status"`
		Addresses []struct {
			Addr     string `xml:"addr,attr"`
			AddrType string `xml:"addrtype,attr"`
		} `xml:"address"`
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			PortID   int    `xml:"portid,attr"`
			State    struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// Nmap runs nmap with args plus "-oX -" and parses its report.
func Nmap(ctx context.Context, args ...string) (*NmapRun, time.Duration, error) {
	if _, err := exec.LookPath("nmap"); err != nil {
		return nil, 0, fmt.Errorf("nmap is not installed: apt-get install nmap (scripts/test-services.sh installs it)")
	}
	start := time.Now()
	out, err := exec.CommandContext(ctx, "nmap", append(args, "-oX", "-")...).Output()
	took := time.Since(start)
	if err != nil {
		return nil, took, fmt.Errorf("nmap %s: %w", strings.Join(args, " "), err)
	}
	var r NmapRun
	if err := xml.Unmarshal(out, &r); err != nil {
		return nil, took, fmt.Errorf("nmap's XML: %w", err)
	}
	return &r, took, nil
}

// Up lists the IPv4 addresses nmap reported up, sorted.
func (r *NmapRun) Up() []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Status.State != "up" {
			continue
		}
		for _, a := range h.Addresses {
			if a.AddrType == "ipv4" {
				out = append(out, a.Addr)
			}
		}
	}
	return SortIPs(out)
}

// OpenTCP maps each IPv4 address with open TCP ports to those ports, sorted.
func (r *NmapRun) OpenTCP() map[string][]int {
	out := map[string][]int{}
	for _, h := range r.Hosts {
		var ip string
		for _, a := range h.Addresses {
			if a.AddrType == "ipv4" {
				ip = a.Addr
			}
		}
		for _, p := range h.Ports {
			if p.Protocol == "tcp" && p.State.State == "open" {
				out[ip] = append(out[ip], p.PortID)
			}
		}
		slices.Sort(out[ip])
	}
	return out
}

// SortIPs sorts dotted IPv4 addresses numerically.
func SortIPs(ips []string) []string {
	key := func(s string) uint32 {
		var n uint32
		for _, p := range strings.Split(s, ".") {
			v, _ := strconv.Atoi(p)
			n = n<<8 | uint32(v)
		}
		return n
	}
	slices.SortFunc(ips, func(a, b string) int { return int(int64(key(a)) - int64(key(b))) })
	return ips
}

// Ports formats ports for nmap's -p.
func Ports(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}
