package main

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestAdminBootstrapOnceThenAuditVerify(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BREEZE_DATA_DIR=" + dir, "BREEZE_BOOTSTRAP_PASSWORD=correct horse battery staple"}

	out, stderr, code := runBreeze(t, 30*time.Second, env, "admin", "bootstrap", "--email", "Owner@Example.com", "--partner", "Acme MSP")
	if code != 0 || !strings.Contains(out, `created partner "Acme MSP" and its administrator owner@example.com`) {
		t.Fatalf("bootstrap: code %d out %q err %q", code, out, stderr)
	}
	// Never twice: the second run refuses and changes nothing.
	_, stderr, code = runBreeze(t, 30*time.Second, env, "admin", "bootstrap", "--email", "second@example.com")
	oneLineError(t, stderr, code, "already set up")

	// A weak password is refused before anything is written.
	_, stderr, code = runBreeze(t, 30*time.Second, []string{"BREEZE_DATA_DIR=" + t.TempDir(), "BREEZE_BOOTSTRAP_PASSWORD=short"},
		"admin", "bootstrap", "--email", "x@example.com")
	oneLineError(t, stderr, code, "at least 12 characters")

	// The first admin can sign in: start the server and log in.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve", "--listen", addr)
	cmd.Env = append(os.Environ(), "BREEZE_DATA_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	status := waitLogin(t, addr, "owner@example.com", "correct horse battery staple")
	if status != 200 {
		t.Fatalf("login as the bootstrapped admin: %d", status)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	// The login wrote audit rows; the chain verifies.
	out, stderr, code = runBreeze(t, 30*time.Second, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify: code %d out %q err %q", code, out, stderr)
	}
}

func TestBootstrapFromEnvironmentAtStart(t *testing.T) {
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve", "--listen", addr)
	cmd.Env = append(os.Environ(), "BREEZE_DATA_DIR="+dir,
		"BREEZE_BOOTSTRAP_EMAIL=first@example.com", "BREEZE_BOOTSTRAP_PASSWORD=a long enough password")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if st := waitLogin(t, addr, "first@example.com", "a long enough password"); st != 200 {
		t.Fatalf("login: %d", st)
	}
	if st := waitLogin(t, addr, "first@example.com", "a wrong password!!"); st != 401 {
		t.Fatalf("wrong password: %d", st)
	}
}
