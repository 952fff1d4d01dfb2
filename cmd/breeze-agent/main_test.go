package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

const (
	enrollKey = "ek_cmdtest_0123456789abcdef0123456789"
	token     = "brz_cmdtest_token_that_must_stay_secret"
	device    = "0190c0de-0000-7000-8000-0000000c0de0"
)

// server is a fake Breeze server: enrollment, /healthz and the agent link.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	frames []string // types received on the link
	closes []int
	got    chan string
}

func newServer(t *testing.T) *server {
	s := &server{got: make(chan string, 1000)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("POST "+protocol.EnrollPath, func(w http.ResponseWriter, r *http.Request) {
		var req protocol.EnrollRequest
		if json.NewDecoder(r.Body).Decode(&req) != nil || req.EnrollmentKey != enrollKey {
			http.Error(w, `{"error":{"code":"unauthorized","message":"invalid enrollment key"}}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(protocol.EnrollResponse{AgentToken: token, DeviceID: device, OrgID: "org-1", SiteID: "site-1"})
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET "+fmt.Sprintf(protocol.LinkPath, device), func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					s.mu.Lock()
					s.closes = append(s.closes, ce.Code)
					s.mu.Unlock()
				}
				return
			}
			typ, _ := protocol.PeekType(data)
			s.got <- typ
			if typ == protocol.TypeHello {
				_ = conn.WriteJSON(protocol.Welcome{Header: protocol.Header{Type: protocol.TypeWelcome}, DeviceID: device,
					HeartbeatInterval: 60, InventoryWanted: true, ServerTime: time.Now()})
			}
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *server) waitFor(t *testing.T, typ string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-s.got:
			if got == typ {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within %v", typ, within)
		}
	}
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEnrollStatusAndRedaction(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "breeze", "agent.json")
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(enrollKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	check := func(out, errs string) {
		all.WriteString(out)
		all.WriteString(errs)
	}

	code, out, errs := runCmd("enroll", "--server", srv.URL, "--key-file", keyFile, "--config", cfg, "--log-level", "trace")
	check(out, errs)
	if code != 0 || !strings.Contains(out, device) {
		t.Fatalf("enroll: code %d\n%s\n%s", code, out, errs)
	}
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config: %v %v", fi, err)
	}
	raw, _ := os.ReadFile(cfg)
	if !strings.Contains(string(raw), token) {
		t.Error("token not stored in the config file")
	}

	// A second enrollment is refused without --force.
	code, out, errs = runCmd("enroll", "--server", srv.URL, "--key", enrollKey, "--config", cfg)
	check(out, errs)
	if code == 0 || !strings.Contains(errs, "--force") {
		t.Errorf("re-enroll: code %d %s", code, errs)
	}
	// A wrong key says why.
	t.Setenv("BREEZE_ENROLLMENT_KEY", "ek_wrong")
	code, out, errs = runCmd("enroll", "--server", srv.URL, "--config", filepath.Join(dir, "other.json"))
	check(out, errs)
	if code != 1 || !strings.Contains(errs, "rejected") {
		t.Errorf("wrong key: code %d %s", code, errs)
	}

	code, out, errs = runCmd("status", "--config", cfg, "--log-level", "trace")
	check(out, errs)
	if code != 0 || !strings.Contains(out, "brz_[redacted]") || !strings.Contains(out, "answers /healthz") || !strings.Contains(out, device) {
		t.Errorf("status: code %d\n%s\n%s", code, out, errs)
	}

	// Group-readable config is refused with the fix.
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd("status", "--config", cfg)
	check(out, errs)
	if code != 1 || !strings.Contains(errs, "chmod 600") {
		t.Errorf("open config: code %d %s", code, errs)
	}
	_ = os.Chmod(cfg, 0o600)

	srv.Close()
	code, out, errs = runCmd("status", "--config", cfg, "--timeout", "1s")
	check(out, errs)
	if code != exitUnreachable || !strings.Contains(out, "does not answer") {
		t.Errorf("status with server down: code %d\n%s", code, out)
	}

	if strings.Contains(all.String(), token) {
		t.Fatalf("token printed:\n%s", all.String())
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, out, _ := runCmd("version"); code != 0 || !strings.Contains(out, "protocol 1") {
		t.Errorf("version: %d %s", code, out)
	}
	if code, _, errs := runCmd("frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown: %d %s", code, errs)
	}
	if code, _, _ := runCmd(); code != 2 {
		t.Errorf("no args: %d", code)
	}
	if code, _, errs := runCmd("run", "--log-level", "loud"); code != 1 || !strings.Contains(errs, "log-level") {
		t.Errorf("bad level: %d %s", code, errs)
	}
}

// The built binary (built as it ships) links, sends hello, heartbeat and a
// real inventory, and stops on SIGTERM with a normal close frame.
func TestBinaryRunsAndStopsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "breeze-agent")
	build := exec.Command("bash", "../../scripts/agent-build.sh", bin) // as it ships
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := newServer(t)
	cfg := filepath.Join(t.TempDir(), "agent.json")
	cmd := exec.Command(bin, "enroll", "--server", srv.URL, "--config", cfg)
	cmd.Env = append(os.Environ(), "BREEZE_ENROLLMENT_KEY="+enrollKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}

	var logs bytes.Buffer
	run := exec.Command(bin, "run", "--config", cfg, "--log-level", "debug")
	run.Stdout, run.Stderr = &logs, &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	defer func() {
		if run.ProcessState == nil {
			_ = run.Process.Kill()
		}
	}()
	srv.waitFor(t, protocol.TypeHello, 10*time.Second) // after the random first delay (≤ 5 s)
	srv.waitFor(t, protocol.TypeInventory, 10*time.Second)
	srv.waitFor(t, protocol.TypeHeartbeat, 10*time.Second)

	if err := run.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("agent did not stop on SIGTERM\n%s", logs.String())
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		srv.mu.Lock()
		n := len(srv.closes)
		srv.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.closes) != 1 || srv.closes[0] != websocket.CloseNormalClosure {
		t.Errorf("close codes %v, want [1000]\n%s", srv.closes, logs.String())
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("token in the agent's log:\n%s", logs.String())
	}
	raw, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg), "inventory.json"))
	if !strings.Contains(string(raw), `"source":"dpkg"`) {
		t.Errorf("inventory cache lacks dpkg packages: %.200s", raw)
	}
}
