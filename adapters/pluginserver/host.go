package pluginserver

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// hostAPI is one server-side plugin's sdk.Host: it reaches nothing but its
// own log lines and its own keys. Server plugins serve every org, so they
// have no settings of their own: each call carries the org's settings.
type hostAPI struct {
	pluginID string
	store    ports.PluginStore
	log      hclog.Logger
	egress   *egress.Client // nil: no outbound HTTP
	conns    atomic.Int32   // open DialTCP connections
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

func (h *hostAPI) Settings(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
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
