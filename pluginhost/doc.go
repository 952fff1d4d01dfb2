// Package pluginhost supervises plugin processes for the server and the
// agent: it launches a plugin executable with go-plugin (gRPC only, AutoMTLS,
// the executable's SHA-256 pinned with SecureConfig at every start), pings
// it, bounds every call, and restarts it with full-jitter backoff when it
// crashes, hangs or stops answering. A plugin never takes the host down.
//
// It speaks only the SDK's types and depends on nothing of the server
// (internal/archtest enforces it), so the agent links it without the core:
// the server's mapping to its ports lives in adapters/pluginserver.
package pluginhost
