// Package testsvc starts private PostgreSQL clusters and Redis servers for
// tests that must break them (stop, restart, wipe) without touching the
// machine's shared ones. Each lives under t.TempDir() on a free port and is
// stopped when the test ends. A test that cannot start one fails: it never
// skips.
package testsvc
