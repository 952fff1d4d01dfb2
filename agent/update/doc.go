// Package update is the agent's self-update: it takes an update offer
// from the link, downloads the build with the agent's token, checks its
// size, SHA-256 and release signature (protocol.VerifyRelease) and that it
// runs ("version" answers the offered version), swaps it in next to the
// running executable (the old one stays as <exe>.prev) and asks for a
// restart. The new process starts on trial: if it has not linked within the
// trial, it puts .prev back and restarts again (rolled back). Every step is
// reported to the server with protocol.UpdateResult; a result that could
// not be sent is kept in the state file and sent after the next link.
//
// The file system is behind FS so a failing disk (a full one during the
// swap) is tested without one: the running binary is never touched until
// the new one is complete, verified and synced.
package update
