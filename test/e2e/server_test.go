package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

const (
	adminEmail    = "e2e-admin@example.com"
	adminPassword = "e2e-password-0123456789"
)

// backend is a database profile the server runs on.
type backend struct {
	name string
	// databaseURL returns the server's BREEZE_DATABASE_URL ("" = the
	// SQLite default under the data dir).
	databaseURL func(t testing.TB) string
}

var backends = []backend{
	{name: "sqlite", databaseURL: func(testing.TB) string { return "" }},
	{name: "postgres", databaseURL: func(t testing.TB) string { return pgtest.NewDatabase(t) }},
}

// server is a breeze server process. Restarts keep its address, data dir
// and database.
type server struct {
	t       testing.TB
	addr    string
	url     string
	dataDir string
	dbURL   string
	env     []string // extra environment (cluster settings), last wins
	log     *syncBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
	end chan struct{} // closed when cmd has exited
}

// startServer starts a server on a free port with a fresh data dir (and
// database, for PostgreSQL), bootstrapping the admin.
func startServer(t testing.TB, b backend) *server {
	t.Helper()
	s := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), dbURL: b.databaseURL(t), log: &syncBuffer{}}
	s.url = "http://" + s.addr
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log (%s):\n%s", b.name, s.log.tail(60))
		}
	})
	s.start()
	return s
}

// freeAddr finds a loopback port nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary and waits for /readyz.
func (s *server) start() {
	t := s.t
	t.Helper()
	cmd := exec.Command(serverBin, "serve")
	cmd.Env = append(cleanEnv(),
		"BREEZE_LISTEN="+s.addr, "BREEZE_DATA_DIR="+s.dataDir, "BREEZE_LOG_LEVEL=debug",
		// The tests' webhook receivers listen on loopback, refused unless allowed.
		"BREEZE_PLUGIN_EGRESS_ALLOW=127.0.0.1/32",
		"BREEZE_BOOTSTRAP_EMAIL="+adminEmail, "BREEZE_BOOTSTRAP_PASSWORD="+adminPassword)
	if s.dbURL != "" {
		// The production profile: PostgreSQL with Redis, in a namespace of
		// this server's own (tests run side by side on one Redis).
		cmd.Env = append(cmd.Env, "BREEZE_DATABASE_URL="+s.dbURL, "BREEZE_REDIS_URL="+testRedisURL(),
			"BREEZE_REDIS_PREFIX="+redisPrefix(s.dataDir))
	}
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	end := make(chan struct{})
	go func() { _ = cmd.Wait(); close(end) }()
	s.mu.Lock()
	s.cmd, s.end = cmd, end
	s.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-end:
			t.Fatalf("the server exited at start-up:\n%s", s.log.tail(40))
		default:
		}
		if status(s.url+"/readyz") == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server was not ready within 30s:\n%s", s.log.tail(40))
}

// kill ends the server with SIGKILL: no graceful shutdown, nothing flushed.
func (s *server) kill() {
	s.mu.Lock()
	cmd, end := s.cmd, s.end
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-end
}

// stop ends the server gracefully (SIGTERM), or kills it after 15 s.
func (s *server) stop() {
	s.mu.Lock()
	cmd, end := s.cmd, s.end
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-end:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-end
	}
}

// status GETs url and returns the status code (0 on a network error).
func status(url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// cleanEnv is the test's environment without BREEZE_* settings, so a
// developer's shell cannot point the processes at another database.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BREEZE_") {
			out = append(out, kv)
		}
	}
	return out
}

// syncBuffer collects a process's output; tests wait for lines in it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count is how many times substr occurs so far.
func (b *syncBuffer) count(substr string) int { return strings.Count(b.String(), substr) }

func (b *syncBuffer) tail(lines int) string {
	all := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// eventually retries cond every 100 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFile writes a 0600 file in dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testRedisURL is the test Redis (BREEZE_TEST_REDIS_URL, else the default).
func testRedisURL() string {
	if u := os.Getenv("BREEZE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// redisPrefix names a server's Redis namespace after its data dir.
func redisPrefix(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "e2e-" + hex.EncodeToString(sum[:6]) + ":"
}
