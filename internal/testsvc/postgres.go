package testsvc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Postgres is a private PostgreSQL cluster (initdb + pg_ctl) on a free port,
// its socket in its own directory. PostgreSQL refuses to run as root, so as
// root (CI) it runs as the "postgres" user through runuser.
type Postgres struct {
	t    testing.TB
	Port int
	dir  string // data/, sock/, log
	bin  string
	as   string // run as this user ("" = the current one)

	mu      sync.Mutex
	running bool
}

// StartPostgres initialises and starts a cluster; it is stopped and removed
// when t ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := &Postgres{t: t, Port: FreePort(t), bin: pgBin(t)}
	if os.Geteuid() == 0 {
		p.as = "postgres"
	}
	// Not t.TempDir(): its parents are private to root, and the cluster may
	// run as another user.
	dir, err := os.MkdirTemp("", "breeze-pg-")
	if err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	p.dir = dir
	t.Cleanup(func() {
		p.Stop()
		_ = os.RemoveAll(dir)
	})
	if err := os.MkdirAll(filepath.Join(dir, "sock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if p.as != "" {
		u, err := user.Lookup(p.as)
		if err != nil {
			t.Fatalf("testsvc: running as root needs a %q user to run PostgreSQL: %v", p.as, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{dir, filepath.Join(dir, "sock")} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatalf("testsvc: %v", err)
			}
		}
	}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("testsvc: initdb: %v\n%s", err, out)
	}
	p.Start()
	return p
}

// pgBin finds the PostgreSQL server programs: $BREEZE_TEST_PG_BIN, the
// Debian location of the newest installed version, or $PATH.
func pgBin(t testing.TB) string {
	if d := os.Getenv("BREEZE_TEST_PG_BIN"); d != "" {
		return d
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1])
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		t.Fatalf("testsvc: PostgreSQL server programs (initdb, pg_ctl) not found; set BREEZE_TEST_PG_BIN")
	}
	return filepath.Dir(p)
}

func (p *Postgres) data() string { return filepath.Join(p.dir, "data") }

// run runs one of the cluster's programs as its user.
func (p *Postgres) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if p.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.as, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// URL is the server URL of database name (postgres://postgres@...).
func (p *Postgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

// Start starts the cluster (again) and waits until it accepts connections.
func (p *Postgres) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return
	}
	opts := strings.Join([]string{"-p", strconv.Itoa(p.Port), "-k", filepath.Join(p.dir, "sock"),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200"}, " ")
	if out, err := p.run("pg_ctl", "-D", p.data(), "-o", opts, "-l", filepath.Join(p.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		p.t.Fatalf("testsvc: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	if !waitDial(fmt.Sprintf("127.0.0.1:%d", p.Port), 30*time.Second) {
		p.t.Fatalf("testsvc: PostgreSQL does not listen on port %d", p.Port)
	}
	p.running = true
}

// Stop shuts the cluster down the way an operator's restart does ("fast":
// sessions end with admin_shutdown); stopping a stopped one does nothing.
func (p *Postgres) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return
	}
	if out, err := p.run("pg_ctl", "-D", p.data(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		p.t.Errorf("testsvc: pg_ctl stop: %v\n%s", err, out)
	}
	p.running = false
}

// CreateDatabase creates database name (with the cluster's createdb) and
// returns its URL.
func (p *Postgres) CreateDatabase(name string) string {
	p.t.Helper()
	if out, err := p.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", name); err != nil {
		p.t.Fatalf("testsvc: createdb %s: %v\n%s", name, err, out)
	}
	return p.URL(name)
}
