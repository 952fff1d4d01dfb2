package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

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
		"BREEZE_PLUGIN_SECRET_KEY=" + sealKeyA,
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

// Sealing keys of the tests' deployments (base64 of 32 bytes).
const (
	sealKeyA = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
	sealKeyB = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="
)

// A node started with another BREEZE_JWT_SECRET or BREEZE_PLUGIN_SECRET_KEY
// than its deployment's refuses to join with one line naming the variable,
// instead of failing sign-ins and sealed secrets later; a rotation (the
// new secret with the old one in BREEZE_JWT_PREVIOUS_SECRETS) joins and
// from then on the old secret alone is refused.
func TestNodeWithOtherSecretsRefusesToJoin(t *testing.T) {
	db := pgtest.NewDatabase(t)
	const (
		secret1 = "first-secret-0123456789abcdef0123456789"
		secret2 = "second-secret-0123456789abcdef012345678"
	)
	email := "keys-" + domain.NewID() + "@example.com"
	base := []string{"BREEZE_DATABASE_URL=" + db, "BREEZE_REDIS_URL=" + redisURL(),
		"BREEZE_BOOTSTRAP_EMAIL=" + email, "BREEZE_BOOTSTRAP_PASSWORD=a long enough password"}
	envOf := func(extra ...string) []string {
		return append(append(append([]string{}, base...), "BREEZE_DATA_DIR="+t.TempDir()), extra...)
	}
	// The first node records the deployment's secrets.
	addr := freeAddr(t)
	first := exec.Command(binary, "serve", "--listen", addr)
	first.Env = append(os.Environ(), envOf("BREEZE_JWT_SECRET="+secret1, "BREEZE_PLUGIN_SECRET_KEY="+sealKeyA)...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Process.Kill(); _ = first.Wait() })
	if st := waitLogin(t, addr, email, "a long enough password"); st != 200 {
		t.Fatalf("first node login: %d", st)
	}

	_, stderr, code := runBreeze(t, time.Minute, envOf("BREEZE_JWT_SECRET="+secret2, "BREEZE_PLUGIN_SECRET_KEY="+sealKeyA),
		"serve", "--listen", freeAddr(t))
	oneLineError(t, stderr, code, "BREEZE_JWT_SECRET is not the one this deployment signs with", "BREEZE_JWT_PREVIOUS_SECRETS")
	_, stderr, code = runBreeze(t, time.Minute, envOf("BREEZE_JWT_SECRET="+secret1, "BREEZE_PLUGIN_SECRET_KEY="+sealKeyB),
		"serve", "--listen", freeAddr(t))
	oneLineError(t, stderr, code, "BREEZE_PLUGIN_SECRET_KEY is not the key this deployment's secrets are sealed with")
	// No sealing key at all: the node's own key file is another key.
	_, stderr, code = runBreeze(t, time.Minute, envOf("BREEZE_JWT_SECRET="+secret1), "serve", "--listen", freeAddr(t))
	oneLineError(t, stderr, code, "BREEZE_PLUGIN_SECRET_KEY is not the key")

	// A rotation joins, and the first node's sessions still work on it.
	addr2 := freeAddr(t)
	second := exec.Command(binary, "serve", "--listen", addr2)
	second.Env = append(os.Environ(), envOf("BREEZE_JWT_SECRET="+secret2, "BREEZE_JWT_PREVIOUS_SECRETS="+secret1,
		"BREEZE_PLUGIN_SECRET_KEY="+sealKeyA)...)
	var out bytes.Buffer
	second.Stderr = &out
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Process.Kill(); _ = second.Wait() })
	if st := waitLogin(t, addr2, email, "a long enough password"); st != 200 {
		t.Fatalf("rotated node login: %d\n%s", st, out.String())
	}
	// After the rotation the old secret alone no longer joins.
	_, stderr, code = runBreeze(t, time.Minute, envOf("BREEZE_JWT_SECRET="+secret1, "BREEZE_PLUGIN_SECRET_KEY="+sealKeyA),
		"serve", "--listen", freeAddr(t))
	oneLineError(t, stderr, code, "BREEZE_JWT_SECRET is not the one this deployment signs with")
}

// Plugin dev mode and unsigned installs are refused in production: the real
// binary stops before touching anything, with one line naming the setting
// (production: BREEZE_ENV=production, or a PostgreSQL database unless
// BREEZE_ENV=development). Nothing listens on the database address: the
// refusal comes from the configuration alone.
func TestDevSwitchesRefusedInProduction(t *testing.T) {
	dev := t.TempDir()
	const pg = "BREEZE_DATABASE_URL=postgres://breeze@127.0.0.1:1/breeze?sslmode=disable"
	for _, tc := range []struct {
		env  []string
		want []string
	}{
		{[]string{"BREEZE_ENV=production", "BREEZE_PLUGIN_DEV_DIR=" + dev}, []string{"BREEZE_PLUGIN_DEV_DIR", "refused in production", "BREEZE_ENV=production"}},
		{[]string{pg, "BREEZE_PLUGIN_DEV_DIR=" + dev}, []string{"BREEZE_PLUGIN_DEV_DIR", "refused in production", "PostgreSQL"}},
		{[]string{pg, "BREEZE_PLUGINS_ALLOW_UNSIGNED=1"}, []string{"BREEZE_PLUGINS_ALLOW_UNSIGNED", "refused in production"}},
	} {
		env := append([]string{"BREEZE_DATA_DIR=" + t.TempDir()}, tc.env...)
		_, stderr, code := runBreeze(t, time.Minute, env, "serve", "--listen", freeAddr(t))
		oneLineError(t, stderr, code, tc.want...)
	}
	// The flag form too.
	_, stderr, code := runBreeze(t, time.Minute, []string{"BREEZE_DATA_DIR=" + t.TempDir()},
		"serve", "--env", "production", "--plugin-dev-dir", dev, "--listen", freeAddr(t))
	oneLineError(t, stderr, code, "BREEZE_PLUGIN_DEV_DIR", "refused in production")
}
