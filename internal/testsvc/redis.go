package testsvc

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Redis is a private redis-server without persistence: a restart comes back
// empty, as a Redis that lost its memory does.
type Redis struct {
	t    testing.TB
	Port int
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// StartRedis starts redis-server on a free port and stops it when t ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("testsvc: redis-server is not installed: %v", err)
	}
	r := &Redis{t: t, Port: FreePort(t), dir: t.TempDir()}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is the redis:// URL of database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Start (re)starts the server, empty, on the same port.
func (r *Redis) Start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return
	}
	r.out = &bytes.Buffer{}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("testsvc: start redis-server: %v", err)
	}
	if !waitDial(r.Addr(), 10*time.Second) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		r.t.Fatalf("testsvc: redis-server did not listen on %s:\n%s", r.Addr(), r.out.String())
	}
	r.cmd = cmd
}

// Stop kills the server (its data is gone); stopping a stopped one does nothing.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// String describes the server for failure messages.
func (r *Redis) String() string { return fmt.Sprintf("redis-server on %s", r.Addr()) }
