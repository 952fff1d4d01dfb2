// Package collect takes the heartbeat sample: CPU, memory, per-filesystem
// disk usage, per-interface network rates, load, uptime and process count.
// A sample must be cheap (the agent's idle CPU budget is 0.1 % of a core), so
// rates come from counter deltas between samples instead of sleeping, what
// never changes is read once, and processes are counted, never enumerated.
package collect
