//go:build linux

package netlab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// HostOptions pick a host's address and MAC; zero values choose for you.
type HostOptions struct {
	IP  netip.Addr // default: the next free address of the lab
	MAC string     // default: 02:00 followed by the four bytes of IP
}

// Host is one namespace on the lab's bridge.
type Host struct {
	Name string     // the test's name for it
	NS   string     // the network namespace
	IP   netip.Addr // its address on the lab
	MAC  string     // lower-case, colon separated
	lab  *Lab
	veth string // the bridge-side end of its veth pair
	dir  string

	mu      sync.Mutex
	procs   []*exec.Cmd
	closers []func()
}

// AddHost adds a host with the next free address and a MAC derived from it.
func (l *Lab) AddHost(name string) *Host { return l.AddHostWith(name, HostOptions{}) }

// AddHostWith adds a host as o says. It fails the test when it cannot.
func (l *Lab) AddHostWith(name string, o HostOptions) *Host {
	l.t.Helper()
	l.mu.Lock()
	if !o.IP.IsValid() {
		o.IP = l.Gateway.Next()
		for l.hosts[o.IP] != nil {
			o.IP = o.IP.Next()
		}
	}
	if !l.Net.Contains(o.IP) || o.IP == l.Gateway || o.IP == l.Net.Addr() || o.IP == lastAddr(l.Net) || l.hosts[o.IP] != nil {
		l.mu.Unlock()
		l.t.Fatalf("netlab: address %s is not free on %s", o.IP, l.Net)
	}
	if o.MAC == "" {
		b := o.IP.As4()
		o.MAC = fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
	}
	l.seq++
	n := strconv.Itoa(l.seq)
	h := &Host{Name: name, NS: Prefix + l.ID + "-" + n, IP: o.IP, MAC: strings.ToLower(o.MAC), lab: l, veth: Prefix + l.ID + "v" + n}
	l.hosts[o.IP] = h
	l.mu.Unlock()
	h.dir = filepath.Join(l.dir, h.NS)
	if err := os.MkdirAll(h.dir, 0o755); err != nil {
		l.t.Fatalf("netlab: %v", err)
	}
	err := runAll(
		[]string{"netns", "add", h.NS},
		[]string{"link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		[]string{"link", "set", h.veth, "master", l.Bridge, "up"},
		[]string{"-n", h.NS, "link", "set", "eth0", "address", h.MAC},
		[]string{"-n", h.NS, "addr", "add", netip.PrefixFrom(h.IP, l.Net.Bits()).String(), "dev", "eth0"},
		[]string{"-n", h.NS, "link", "set", "eth0", "up"},
		[]string{"-n", h.NS, "link", "set", "lo", "up"},
		[]string{"-n", h.NS, "route", "add", "default", "via", l.Gateway.String()},
	)
	if err != nil {
		l.t.Fatalf("netlab: host %s: %v", name, err)
	}
	return h
}

// RemoveHost takes a host off the lab: its services stop, its namespace and
// veth go.
func (l *Lab) RemoveHost(h *Host) {
	l.mu.Lock()
	if l.hosts[h.IP] != h {
		l.mu.Unlock()
		return
	}
	delete(l.hosts, h.IP)
	l.mu.Unlock()
	h.stop()
	killNamespace(h.NS)
	_ = ip("link", "del", h.veth) // gone with the namespace already, normally
}

func (h *Host) stop() {
	h.mu.Lock()
	procs, closers := h.procs, h.closers
	h.procs, h.closers = nil, nil
	h.mu.Unlock()
	for _, c := range closers {
		c()
	}
	for _, p := range procs {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
}

// Exec runs a command in the host's namespace and returns its output.
func (h *Host) Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s in %s: %w: %s", name, h.NS, err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Start runs a long-lived program in the host's namespace, its output in
// <dir>/<label>.log; it is killed when the host goes (or the test process dies).
func (h *Host) Start(label, name string, args ...string) error {
	log, err := os.Create(filepath.Join(h.dir, label+".log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	h.mu.Lock()
	h.procs = append(h.procs, cmd)
	h.mu.Unlock()
	return nil
}

// Log returns what a program started with label printed (for failure messages).
func (h *Host) Log(label string) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, label+".log"))
	return string(b)
}

// ListenTCP opens a TCP listener on the host's address that accepts and
// closes connections: a plain open port. It runs in the test process (a
// socket keeps the namespace it was made in).
func (h *Host) ListenTCP(port int) error {
	var ln net.Listener
	err := h.inNamespace(func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(h.IP.String(), strconv.Itoa(port)))
		return err
	})
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	h.mu.Lock()
	h.closers = append(h.closers, func() { ln.Close() })
	h.mu.Unlock()
	return nil
}

// ServeHTTP runs python3's http.server on port and waits until it answers.
func (h *Host) ServeHTTP(port int) error {
	root := filepath.Join(h.dir, "www")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte("<h1>"+h.Name+"</h1>\n"), 0o644); err != nil {
		return err
	}
	// http.server's own main looks up the bound address's FQDN, which
	// hangs in a namespace without DNS; TCPServer does not.
	if err := h.Start("http", "python3", "-c", pyHTTP, h.IP.String(), strconv.Itoa(port), root); err != nil {
		return err
	}
	if err := waitTCP(h.IP, port, 10*time.Second); err != nil {
		return fmt.Errorf("http.server on %s: %w; log: %s", h.Name, err, h.Log("http"))
	}
	return nil
}

const pyHTTP = `import sys, functools, http.server, socketserver
socketserver.TCPServer.allow_reuse_address = True
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
socketserver.ThreadingTCPServer((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
`

// inNamespace runs fn on an OS thread switched into the host's namespace.
func (h *Host) inNamespace(fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + h.NS)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", h.NS, err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and dies with this goroutine rather
		// than serve others in the wrong namespace.
		return fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

func waitTCP(a netip.Addr, port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	return netip.AddrFrom4(b)
}
