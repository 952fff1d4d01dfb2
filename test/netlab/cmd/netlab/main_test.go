//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The program makes the lab it is asked for, adds and removes hosts on
// command, and leaves no namespace, veth or bridge behind when its stdin
// closes or it gets SIGTERM.
func TestLabLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("netlab: network namespaces need root (CI runs the tests as root)")
		}
		t.Skip("netlab: network namespaces need root; run as root to test the netlab program")
	}
	bin := filepath.Join(t.TempDir(), "netlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, how := range []string{"eof", "sigterm"} {
		t.Run(how, func(t *testing.T) {
			cmd := exec.Command(bin, "-spec", `{"bits":28,"hosts":[{"name":"a","tcp":[2222],"ptr":"<img src=x onerror=alert(1)>"},{"name":"b","tcp":[2223]}]}`)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := bufio.NewScanner(stdout)
			next := func(v any) {
				t.Helper()
				if !lines.Scan() {
					t.Fatalf("no line from netlab: %v", lines.Err())
				}
				if err := json.Unmarshal(lines.Bytes(), v); err != nil {
					t.Fatalf("%s: %v", lines.Bytes(), err)
				}
			}
			var lab labOut
			next(&lab)
			if len(lab.Hosts) != 2 || lab.Hosts[0].Ports[0] != 2222 || lab.Hosts[0].PTR == "" || lab.Bridge == "" {
				t.Fatalf("lab %+v", lab)
			}
			dial(t, lab.Hosts[0].IP+":2222", true)
			_, _ = io.WriteString(stdin, `add {"name":"c","tcp":[8080]}`+"\n")
			var c hostOut
			next(&c)
			dial(t, c.IP+":8080", true)
			_, _ = io.WriteString(stdin, "remove "+lab.Hosts[1].IP+"\n")
			var r map[string]string
			next(&r)
			if r["removed"] != lab.Hosts[1].IP {
				t.Fatalf("remove: %v", r)
			}
			dial(t, lab.Hosts[1].IP+":2223", false)
			if how == "eof" {
				stdin.Close()
			} else {
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("netlab exited: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("netlab did not exit")
			}
			links, _ := exec.Command("ip", "-o", "link").Output()
			netns, _ := exec.Command("ip", "netns", "list").Output()
			for _, out := range []string{string(links), string(netns)} {
				if strings.Contains(out, lab.Bridge) {
					t.Fatalf("left behind:\n%s", out)
				}
			}
		})
	}
}

func dial(t *testing.T, addr string, open bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	if (err == nil) != open {
		t.Fatalf("%s: open %v, want %v (%v)", addr, err == nil, open, err)
	}
}
