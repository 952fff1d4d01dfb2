// Package pluginhost supervises plugin processes for the server and the
// agent: it launches a plugin executable with go-plugin (gRPC only, AutoMTLS,
// the executable's SHA-256 pinned with SecureConfig at every start), pings
// it, bounds every call, and restarts it with full-jitter backoff when it
// crashes, hangs or stops answering. A plugin never takes the host down.
//
// ports.go wraps a Supervisor as the core's plugin-kind ports
// (ports.Notifier, ports.Scanner, ports.ScriptRuntime, ports.Collector).
package pluginhost
