// Package e2e holds the process-level end-to-end tests: they build the real
// server (cmd/breeze) and agent (cmd/breeze-agent) binaries, run them as
// processes on SQLite and on PostgreSQL, and drive them through the REST
// API and the agent's WebSocket link — enrollment, heartbeats, a server
// killed with SIGKILL and restarted, decommissioning, and hostile input on
// the link. The package has tests only; this file names it.
//
// PostgreSQL comes from pgtest (BREEZE_TEST_POSTGRES_URL); a missing server
// fails the tests, it never skips them. The fault tests (faults_test.go)
// instead start a PostgreSQL cluster and a Redis of their own, since they
// stop them; `make faults` runs them with 30 s outages.
package e2e
