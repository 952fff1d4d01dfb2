package main

import (
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
)

func redisURL() string {
	if u := os.Getenv("BREEZE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The production profile: two server nodes on one PostgreSQL database and
// one Redis. Sign-in limits live in Redis, so failures on one node lock the
// account on the other; both nodes accept the same access tokens.
func TestTwoNodesShareDatabaseAndLimits(t *testing.T) {
	db := pgtest.NewDatabase(t)
	email := "owner-" + domain.NewID() + "@example.com" // fresh: limits in Redis outlive a run
	env := []string{
		"BREEZE_DATABASE_URL=" + db,
		"BREEZE_REDIS_URL=" + redisURL(),
		"BREEZE_JWT_SECRET=0123456789abcdef0123456789abcdef-shared",
		"BREEZE_BOOTSTRAP_EMAIL=" + email,
		"BREEZE_BOOTSTRAP_PASSWORD=a long enough password",
	}
	var addrs []string
	for i := 0; i < 2; i++ {
		addr := freeAddr(t)
		cmd := exec.Command(binary, "serve", "--listen", addr)
		cmd.Env = append(append(os.Environ(), env...), "BREEZE_DATA_DIR="+t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addrs = append(addrs, addr)
	}
	if st := waitLogin(t, addrs[0], email, "a long enough password"); st != 200 {
		t.Fatalf("node 1 login: %d", st)
	}
	if st := waitLogin(t, addrs[1], email, "a long enough password"); st != 200 {
		t.Fatalf("node 2 login: %d", st)
	}
	// Five failures on node 1 (the first tier of the per account and
	// address limit; both nodes see this test from 127.0.0.1)...
	for i := 0; i < 5; i++ {
		if st := waitLogin(t, addrs[0], email, "wrong password!!"); st != 401 {
			t.Fatalf("failure %d on node 1: %d", i, st)
		}
	}
	// ...lock the account on node 2 as well, even with the right password.
	if st := waitLogin(t, addrs[1], email, "a long enough password"); st != 429 {
		t.Fatalf("node 2 after five failures on node 1: %d, want 429", st)
	}
}
