package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

// The binary under test, built once per package run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breeze-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "breeze")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build breeze: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBreeze runs the binary with a clean BREEZE_* environment plus env.
func runBreeze(t *testing.T, timeout time.Duration, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BREEZE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("breeze %v did not finish in %s\nstderr: %s", args, timeout, e.String())
	}
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// oneLineError asserts a failed start: non-zero exit and a single "breeze:" line naming want.
func oneLineError(t *testing.T, stderr string, code int, want ...string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("expected a non-zero exit; stderr: %s", stderr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "breeze: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want exactly one 'breeze:' error line, got %d:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Fatalf("error line %q should mention %q", lines[0], w)
		}
	}
}

func TestMalformedDatabaseURL(t *testing.T) {
	_, stderr, code := runBreeze(t, 10*time.Second, []string{"BREEZE_DATABASE_URL=mysql://root@x/db"}, "serve")
	oneLineError(t, stderr, code, "BREEZE_DATABASE_URL", "sqlite://", "postgres://")
}

func TestUnreachableDatabase(t *testing.T) {
	_, stderr, code := runBreeze(t, 20*time.Second,
		[]string{"BREEZE_DATABASE_URL=postgres://postgres@127.0.0.1:1/breeze?sslmode=disable", "BREEZE_LISTEN=127.0.0.1:0",
			"BREEZE_REDIS_URL=" + redisURL(), "BREEZE_DATA_DIR=" + t.TempDir()}, "serve")
	oneLineError(t, stderr, code, "127.0.0.1:1", "unreachable")
}

// PostgreSQL without Redis would have no durable queue, bus or presence:
// refused before anything is opened.
func TestPostgresNeedsRedis(t *testing.T) {
	_, stderr, code := runBreeze(t, 20*time.Second,
		[]string{"BREEZE_DATABASE_URL=postgres://postgres@127.0.0.1:1/breeze?sslmode=disable", "BREEZE_LISTEN=127.0.0.1:0",
			"BREEZE_DATA_DIR=" + t.TempDir()}, "serve")
	oneLineError(t, stderr, code, "BREEZE_REDIS_URL", "PostgreSQL")
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, stderr, code := runBreeze(t, 10*time.Second,
		[]string{"BREEZE_LISTEN=" + ln.Addr().String(), "BREEZE_DATA_DIR=" + t.TempDir()}, "serve")
	oneLineError(t, stderr, code, ln.Addr().String(), "already in use", "BREEZE_LISTEN")
}

func TestFailingMigrationLeavesNoHalfAppliedSchema(t *testing.T) {
	// A database whose schema already holds a table the first migration
	// creates: the migration fails, is rolled back, and the version stays 0.
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := pgtestOpen(t, url)
	if _, err := db.Exec(ctx, `CREATE TABLE devices (x int)`); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runBreeze(t, 30*time.Second, []string{"BREEZE_DATABASE_URL=" + url}, "migrate")
	oneLineError(t, stderr, code, "00001_tenancy.sql", "rolled back")
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'partners'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("partners table must not exist after the failed migration: n=%d err=%v", n, err)
	}
}

func TestMigrateThenServeAndStopOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BREEZE_DATA_DIR=" + dir}
	out, stderr, code := runBreeze(t, 30*time.Second, env, "migrate")
	if code != 0 || !strings.Contains(out, "database at version") {
		t.Fatalf("migrate: code %d out %q err %q", code, out, stderr)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve", "--listen", addr, "--demo")
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never became ready\n%s", e.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM should exit 0, got %v\n%s", err, e.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
	// Read only after Wait: the output is copied from a pipe by another
	// goroutine, which may still be behind when /readyz answers.
	if !strings.Contains(o.String(), "sign in as admin@demo.breeze.local with password") {
		t.Fatalf("demo start must print the credentials; stdout: %q", o.String())
	}
	if info, err := os.Stat(filepath.Join(dir, "demo-credentials.txt")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("demo credentials file must be 0600: %v %v", info, err)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, code := runBreeze(t, 5*time.Second, nil, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}
