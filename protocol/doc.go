// Package protocol is the agent protocol of docs/architecture.md §5: the enrollment
// request and answer, and the JSON text frames exchanged over the agent's
// WebSocket link. Server, agent and simulator all import it, so the wire
// contract lives in one place. Standard library only.
//
// Every frame is one JSON object with a "type" and, where a reply must be
// matched, an "id"; the other fields sit beside them (no nested payload).
// Unknown fields are ignored by both sides, so a field can be added without
// a version bump; removing or changing one needs Version+1.
package protocol

// Version is the protocol version this build speaks; the agent sends it in
// hello and the server refuses versions it does not know.
const Version = 1

// Frame size limits. The server closes a link that sends a larger frame.
const (
	// agent → server: a command result carries up to DefaultOutputCap of
	// stdout and of stderr, JSON-escaped (the agent trims what would not fit).
	MaxAgentFrame  = 4 << 20
	MaxServerFrame = 1 << 20 // server → agent
)
