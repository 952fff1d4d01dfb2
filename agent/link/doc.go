// Package link is the agent's live connection to its server (docs/architecture.md §5): a
// WebSocket that says hello, follows the settings in the server's welcome,
// sends heartbeats at the interval the server chose and the inventory when it
// changes, answers pings, and comes back after any failure without a fleet
// stampeding the server.
//
// Heartbeats are sampled on their own clock whether or not the link is up;
// while it is down they wait in a bounded ring (the oldest are dropped first)
// and are sent, oldest first and each with its own time, when it returns.
package link
