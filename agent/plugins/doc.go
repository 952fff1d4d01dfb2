// Package plugins hosts agent-side plugins (docs/architecture.md §6, docs/plugins.md).
//
// The server offers the plugins enabled for the device's org (the
// welcome's Plugins and later `plugins` frames). For each new or changed
// offer the Manager downloads the archive over HTTP(S) with the agent's
// bearer token (size capped), checks its SHA-256 against the offer,
// unpacks it into <state dir>/plugins/<id>/<version>/ (0700) and verifies
// it there itself with sdk/pack against the agent's trusted keys (unsigned
// only with the development switch; no trusted keys refuses everything
// else), then runs this platform's executable under
// pluginhost's Supervisor (the same supervision as the server's). A withdrawn
// offer stops its plugin and removes its files.
//
// Kinds: collectors are asked at each heartbeat and inventory (bounded
// time, a slow answer serves the previous result); script runtimes
// register their languages in agent/scripts' registry (never replacing one
// already there); scanners serve the discover action.
//
// State reporting: the only agent → server place for plugin states is
// hello (protocol.Hello.Plugins). States (running, failed + error) are
// kept here and sent in every hello; since the first hello precedes the
// welcome that carries the offers, a change reaches the server at the next
// reconnect. New script languages likewise show as "scripts:<lang>"
// capabilities at the next hello. A mid-link state frame would need a
// protocol change (see the report).
package plugins
