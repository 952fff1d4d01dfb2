package pluginserver

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// hostAPI is one server-side plugin's sdk.Host: it reaches nothing but its
// own log lines and its own keys. Server plugins serve every org and the
// API stores settings per org only, so Settings answers the settings of the
// org whose call is in flight (secrets opened, schema defaults applied, as
// the call carries them).
type hostAPI struct {
	pluginID string
	store    ports.PluginStore
	log      hclog.Logger
	egress   *egress.Client // nil: no outbound HTTP
	conns    atomic.Int32   // open DialTCP connections

	mu       sync.Mutex
	inFlight map[*callSettings]struct{} // the settings of the calls in flight
}

type callSettings struct{ raw json.RawMessage }

// during registers settings as those of a call in flight until done.
func (h *hostAPI) during(settings json.RawMessage) (done func()) {
	if h == nil || len(settings) == 0 {
		return func() {}
	}
	c := &callSettings{raw: settings}
	h.mu.Lock()
	if h.inFlight == nil {
		h.inFlight = map[*callSettings]struct{}{}
	}
	h.inFlight[c] = struct{}{}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.inFlight, c)
		h.mu.Unlock()
	}
}

// hostSettingsNotifier makes an org's settings the host's Settings for the
// length of each call.
type hostSettingsNotifier struct {
	ports.Notifier
	host *hostAPI
}

func (n hostSettingsNotifier) Send(ctx context.Context, in ports.Notification) (ports.NotifyResult, error) {
	defer n.host.during(in.Settings)()
	return n.Notifier.Send(ctx, in)
}

func (n hostSettingsNotifier) Test(ctx context.Context, settings json.RawMessage) (ports.NotifyTestResult, error) {
	defer n.host.during(settings)()
	return n.Notifier.Test(ctx, settings)
}

var _ sdk.Host = (*hostAPI)(nil)

// maxLogFields bounds what one log call may attach.
const maxLogFields = 32

func (h *hostAPI) Log(_ context.Context, level sdk.LogLevel, msg string, fields map[string]string) error {
	args := make([]any, 0, 2*min(len(fields), maxLogFields))
	n := 0
	for k, v := range fields {
		if n == maxLogFields {
			break
		}
		args = append(args, "plugin."+k, v)
		n++
	}
	if len(msg) > 4096 {
		msg = msg[:4096]
	}
	switch level {
	case sdk.LogDebug:
		h.log.Debug(msg, args...)
	case sdk.LogWarn:
		h.log.Warn(msg, args...)
	case sdk.LogError:
		h.log.Error(msg, args...)
	default:
		h.log.Info(msg, args...)
	}
	return nil
}

// Settings: outside any call "{}"; during calls of one org (the usual
// case: the same settings), those; during concurrent calls of orgs with
// different settings the host cannot tell which call asks, so it refuses:
// read Notification.Settings / Test's argument instead.
func (h *hostAPI) Settings(context.Context) (json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out json.RawMessage
	for c := range h.inFlight {
		if out != nil && !bytes.Equal(out, c.raw) {
			return nil, sdk.Invalidf("calls of several organizations are in flight: read the settings the call carries (Notification.Settings)")
		}
		out = c.raw
	}
	if out == nil {
		return json.RawMessage(`{}`), nil
	}
	return out, nil
}

func (h *hostAPI) KVGet(ctx context.Context, key string) ([]byte, bool, error) {
	return h.store.KVGet(ctx, h.pluginID, key)
}

func (h *hostAPI) KVPut(ctx context.Context, key string, value []byte) error {
	return h.store.KVPut(ctx, h.pluginID, key, value)
}

func (h *hostAPI) KVDelete(ctx context.Context, key string) error {
	return h.store.KVDelete(ctx, h.pluginID, key)
}

func (h *hostAPI) KVList(ctx context.Context, prefix string) ([]string, error) {
	return h.store.KVList(ctx, h.pluginID, prefix)
}
