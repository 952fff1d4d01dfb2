package sdk

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// Handshake is shared by hosts and plugins. The cookie is not a secret: it
// only stops a user from running a plugin binary by hand by mistake.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  APIVersion,
	MagicCookieKey:   "BREEZE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "1be6481d66458d2e4bf20d458c1923996d9cb689ff00518928c2f96499dfed2c",
}

// initTimeout bounds the Init call a host makes when it dispenses a plugin.
const initTimeout = 10 * time.Second

// GRPCPlugin is the go-plugin glue for one kind. In a plugin, Impl is set; in
// a host, Host (optional) is what the plugin reaches over the broker.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Kind        Kind
	Impl        Plugin
	Host        Host
	HostVersion string
	APIVersion  int
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers Info and the kind's service (plugin side).
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("sdk: %s plugin has no implementation", p.Kind)
	}
	pb.RegisterInfoServer(s, &infoServer{impl: p.Impl, kind: p.Kind, broker: broker})
	wrong := fmt.Errorf("sdk: %T does not implement the %s interface", p.Impl, p.Kind)
	switch p.Kind {
	case KindAlertChannel:
		impl, ok := p.Impl.(AlertChannel)
		if !ok {
			return wrong
		}
		pb.RegisterAlertChannelServer(s, &alertServer{impl: impl})
	case KindScanner:
		impl, ok := p.Impl.(Scanner)
		if !ok {
			return wrong
		}
		pb.RegisterScannerServer(s, &scannerServer{impl: impl})
	case KindScriptRuntime:
		impl, ok := p.Impl.(ScriptRuntime)
		if !ok {
			return wrong
		}
		pb.RegisterScriptRuntimeServer(s, &runtimeServer{impl: impl})
	case KindCollector:
		impl, ok := p.Impl.(Collector)
		if !ok {
			return wrong
		}
		pb.RegisterCollectorServer(s, &collectorServer{impl: impl})
	default:
		return fmt.Errorf("sdk: unknown plugin kind %q", p.Kind)
	}
	return nil
}

// GRPCClient serves the HostAPI on the broker, initialises the plugin and
// returns a typed client implementing the kind's interface (host side).
func (p *GRPCPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	base := baseClient{info: pb.NewInfoClient(conn)}
	var id uint32
	if p.Host != nil {
		id = broker.NextId()
		host := p.Host
		go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			pb.RegisterHostAPIServer(s, &hostAPIServer{host: host})
			return s
		})
	}
	api := p.APIVersion
	if api == 0 {
		api = APIVersion
	}
	ictx, cancel := context.WithTimeout(ctx, initTimeout)
	defer cancel()
	if _, err := base.info.Init(ictx, &pb.InitRequest{HostApiBrokerId: id, HostVersion: p.HostVersion, ApiVersion: uint32(api)}); err != nil {
		return nil, fmt.Errorf("sdk: init %s plugin: %w", p.Kind, fromStatus(ictx, err))
	}
	switch p.Kind {
	case KindAlertChannel:
		return &alertClient{baseClient: base, c: pb.NewAlertChannelClient(conn)}, nil
	case KindScanner:
		return &scannerClient{baseClient: base, c: pb.NewScannerClient(conn)}, nil
	case KindScriptRuntime:
		return &runtimeClient{baseClient: base, c: pb.NewScriptRuntimeClient(conn)}, nil
	case KindCollector:
		return &collectorClient{baseClient: base, c: pb.NewCollectorClient(conn)}, nil
	}
	return nil, fmt.Errorf("sdk: unknown plugin kind %q", p.Kind)
}

// PluginMap is the host's plugin set for one API version: every kind, each
// reaching host through the broker (host may be nil).
func PluginMap(host Host, apiVersion int) plugin.PluginSet {
	set := plugin.PluginSet{}
	for _, k := range Kinds {
		set[string(k)] = &GRPCPlugin{Kind: k, Host: host, APIVersion: apiVersion}
	}
	return set
}

// VersionedPlugins is the host's plugin sets for every API version this SDK
// speaks, so go-plugin negotiates the highest one an older plugin supports.
func VersionedPlugins(host Host) map[int]plugin.PluginSet {
	out := map[int]plugin.PluginSet{}
	for _, v := range SupportedAPIVersions {
		out[v] = PluginMap(host, v)
	}
	return out
}

// ClientConfig is what a host needs to launch one plugin executable.
type ClientConfig struct {
	Cmd          *exec.Cmd
	Host         Host // nil: the plugin gets ErrNoHost from its Host
	Logger       hclog.Logger
	StartTimeout time.Duration // 0: 10s
	// SecureConfig pins the executable's checksum (go-plugin verifies it before exec).
	SecureConfig *plugin.SecureConfig
}

// NewClientConfig returns a go-plugin client config with Breeze's handshake,
// versioned plugin sets, gRPC only and AutoMTLS.
func NewClientConfig(c ClientConfig) *plugin.ClientConfig {
	logger := c.Logger
	if logger == nil {
		// go-plugin's default logs at trace level; hosts pass their own.
		logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn})
	}
	timeout := c.StartTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(c.Host),
		Cmd:              c.Cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           logger,
		StartTimeout:     timeout,
		SecureConfig:     c.SecureConfig,
	}
}

// ClientFor dispenses the plugin of the given kind from a connected
// go-plugin client and checks that it says it is that kind and speaks an API
// version we know. The result implements the kind's interface.
func ClientFor(ctx context.Context, rpc plugin.ClientProtocol, kind Kind) (Plugin, Info, error) {
	raw, err := rpc.Dispense(string(kind))
	if err != nil {
		return nil, Info{}, fmt.Errorf("sdk: dispense %s: %w", kind, err)
	}
	p, ok := raw.(Plugin)
	if !ok {
		return nil, Info{}, fmt.Errorf("sdk: dispensed %T is not a plugin", raw)
	}
	info, err := p.Info(ctx)
	if err != nil {
		return nil, Info{}, fmt.Errorf("sdk: %s info: %w", kind, err)
	}
	if info.Kind != kind {
		return nil, info, fmt.Errorf("sdk: plugin says it is a %q, expected %q", info.Kind, kind)
	}
	if !slices.ContainsFunc(info.APIVersions, func(v int) bool { return slices.Contains(SupportedAPIVersions, v) }) {
		return nil, info, fmt.Errorf("sdk: plugin speaks API %v, host speaks %v", info.APIVersions, SupportedAPIVersions)
	}
	return p, info, nil
}

// Typed returns ClientFor's plugin as the kind's interface T.
func Typed[T Plugin](ctx context.Context, rpc plugin.ClientProtocol, kind Kind) (T, Info, error) {
	var zero T
	p, info, err := ClientFor(ctx, rpc, kind)
	if err != nil {
		return zero, info, err
	}
	t, ok := p.(T)
	if !ok {
		return zero, info, fmt.Errorf("sdk: %s client %T does not implement %T", kind, p, zero)
	}
	return t, info, nil
}
