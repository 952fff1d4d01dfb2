// Package terminal runs the agent side of remote terminals (docs/remote-work.md): a
// shell in a PTY per session, its output streamed in coalesced frames,
// input, resize, and an end on close, idle timeout, shell exit or link loss.
package terminal
