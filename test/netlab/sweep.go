//go:build linux

package netlab

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lock serialises lab creation across test processes (go test runs packages
// in parallel): choosing a free prefix and claiming it is one step.
func lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(stateDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Sweep removes what labs of dead processes left behind: their namespaces
// (and the processes in them), bridges and veths. A lab whose owner is alive
// is left alone.
func Sweep() {
	stale := map[string]bool{}
	isStale := func(id string) bool {
		if v, ok := stale[id]; ok {
			return v
		}
		v := !ownerAlive(id)
		stale[id] = v
		return v
	}
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !strings.HasPrefix(f[0], Prefix) {
				continue
			}
			if id := labID(f[0]); id != "" && isStale(id) {
				killNamespace(f[0])
			}
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if !strings.HasPrefix(name, Prefix) {
				continue
			}
			if id := labID(name); id != "" && isStale(id) {
				_ = ip("link", "del", name)
			}
		}
	}
	for id, s := range stale {
		if s {
			_ = os.Remove(filepath.Join(stateDir, id))
		}
	}
}

// labID extracts the 6-hex-digit lab id from a name the lab made.
func labID(name string) string {
	rest := strings.TrimPrefix(name, Prefix)
	if len(rest) < 6 {
		return ""
	}
	return rest[:6]
}

func ownerAlive(id string) bool {
	b, err := os.ReadFile(filepath.Join(stateDir, id))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

// killNamespace ends the processes a stale lab left in ns, then deletes it.
func killNamespace(ns string) {
	if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = ip("netns", "del", ns)
}

// freePrefix picks a random /bits inside 10.0.0.0/8 that overlaps no route
// (any table) and no address of the machine.
func freePrefix(bits int) (netip.Prefix, error) {
	used, err := usedPrefixes()
	if err != nil {
		return netip.Prefix{}, err
	}
	for range 200 {
		a := netip.AddrFrom4([4]byte{10, byte(rand.IntN(256)), byte(rand.IntN(256)), 0})
		p, _ := a.Prefix(bits)
		if p.Addr().As4()[1] == 0 { // keep clear of 10.0/16, a favourite of defaults
			continue
		}
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free /%d in 10.0.0.0/8", bits)
}

func usedPrefixes() ([]netip.Prefix, error) {
	var used []netip.Prefix
	for _, args := range [][]string{{"-4", "-o", "route", "show", "table", "all"}, {"-4", "-o", "addr", "show"}} {
		out, err := exec.Command("ip", args...).Output()
		if err != nil {
			return nil, fmt.Errorf("ip %s: %w", strings.Join(args, " "), err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			for _, f := range strings.Fields(line) {
				if p, ok := parsePrefix(f); ok && p.Bits() > 0 {
					used = append(used, p)
				}
			}
		}
	}
	return used, nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), true
	}
	return netip.Prefix{}, false
}
