package sdk

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// ServeAlertChannel serves impl as an alert channel plugin; call it from main.
func ServeAlertChannel(impl AlertChannel) { serve(KindAlertChannel, impl) }

// ServeScanner serves impl as a discovery scanner plugin; call it from main.
func ServeScanner(impl Scanner) { serve(KindScanner, impl) }

// ServeScriptRuntime serves impl as a script runtime plugin; call it from main.
func ServeScriptRuntime(impl ScriptRuntime) { serve(KindScriptRuntime, impl) }

// ServeCollector serves impl as a collector plugin; call it from main.
func ServeCollector(impl Collector) { serve(KindCollector, impl) }

func serve(kind Kind, impl Plugin) { plugin.Serve(ServeConfig(kind, impl)) }

// ServeConfig is the go-plugin serve config Serve* use; exposed for hosts'
// tests that need reattach or custom serving.
func ServeConfig(kind Kind, impl Plugin) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(kind, impl),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           Logger(),
	}
}

// PluginSets is the plugin side's versioned plugin sets for impl.
func PluginSets(kind Kind, impl Plugin) map[int]plugin.PluginSet {
	out := map[int]plugin.PluginSet{}
	for _, v := range SupportedAPIVersions {
		out[v] = plugin.PluginSet{string(kind): &GRPCPlugin{Kind: kind, Impl: impl, APIVersion: v}}
	}
	return out
}

// Logger is an hclog logger for plugin code. It writes JSON to stderr, which
// go-plugin forwards into the host's log tagged with the plugin.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Debug})
}
