// Package pgtest gives tests a private, throw-away PostgreSQL database.
//
// Any package whose tests need PostgreSQL (store adapters, HTTP end-to-end
// tests, the queue, ...) calls NewDatabase once per test: it creates an empty
// database named breeze_test_<random hex> on the server named by
// BREEZE_TEST_POSTGRES_URL and drops it when the test ends, so tests can run
// in parallel and never see each other's rows. The database is empty: open it
// with the adapter you test and run its migrations.
//
// A test that cannot reach the server fails (it never skips): run `make test`,
// which starts PostgreSQL first.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the server URL tests use; DefaultURL
// applies when it is unset. The user must be allowed to create databases.
const (
	EnvURL     = "BREEZE_TEST_POSTGRES_URL"
	DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// connectTimeout keeps a missing server from stalling a test run.
const connectTimeout = 5 * time.Second

// ServerURL is the URL of the test server: $BREEZE_TEST_POSTGRES_URL or DefaultURL.
func ServerURL() string {
	if u := strings.TrimSpace(os.Getenv(EnvURL)); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates a fresh empty database for t, registers its removal
// with t.Cleanup and returns its URL (the server URL with the database name
// swapped in).
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL()
	conn := connect(t, server)
	defer conn.Close(context.Background())

	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("pgtest: random database name: %v", err)
	}
	name := "breeze_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, server, name) })

	dbURL, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// drop removes the database; FORCE ends connections a test left open.
func drop(t testing.TB, server, name string) {
	conn := connect(t, server)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

func connect(t testing.TB, server string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		t.Fatalf("pgtest: %s is not a valid PostgreSQL URL: %v", EnvURL, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		addr := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
		t.Fatalf("pgtest: PostgreSQL is unreachable at %s (%v); run `make test`, which starts it, or set %s",
			addr, oneLine(err), EnvURL)
	}
	return conn
}

// withDatabase returns server with its database replaced by name. It accepts
// URLs and key=value connection strings.
func withDatabase(server, name string) (string, error) {
	if !strings.Contains(server, "://") {
		return server + " dbname=" + name, nil
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
