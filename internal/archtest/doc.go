// Package archtest holds the tests that enforce the architecture
// (docs/architecture.md §2): the dependency rule (core/ and ports/ import no adapter, framework or
// driver), that the REST handlers reach data only through core/app services
// (never a storage port), that the agent stays stand-alone (agent/,
// cmd/breeze-agent and what they share with the server, protocol/,
// pluginhost/ and logging/, reach no server code), and that no build output
// is tracked.
package archtest
