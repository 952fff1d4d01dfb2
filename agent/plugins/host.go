package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/sdk"
)

// Limits of a plugin's key-value store.
const (
	maxKVKey   = 256
	maxKVValue = 64 << 10
	maxKVTotal = 1 << 20
	maxKVKeys  = 1024
)

// errKVFull: the plugin's store would exceed its limits.
var errKVFull = errors.New("plugin key-value store is full")

// host is the HostAPI one plugin gets: its log, its org's settings (as the
// latest offer carries them) and a key-value store of its own on this
// agent, kept in a file (kvfile.go) so it survives restarts and upgrades;
// each agent has its own (the server's store is another one).
type host struct {
	log hclog.Logger

	mu       sync.Mutex
	settings json.RawMessage
	kv       map[string][]byte
	kvBytes  int
	file     *kvFile // nil: in memory only (tests)
}

var _ sdk.Host = (*host)(nil)

// newHost makes a plugin's host API; file (nil for memory only) holds its
// key-value store.
func newHost(log hclog.Logger, settings json.RawMessage, file *kvFile) *host {
	h := &host{log: log, kv: map[string][]byte{}, file: file}
	if file != nil {
		kv, err := file.load()
		if err != nil {
			log.Warn("plugin key-value store", "error", err)
		}
		h.kv = kv
		for k, v := range kv {
			h.kvBytes += len(k) + len(v)
		}
	}
	h.setSettings(settings)
	return h
}

// persist writes the store after a change (mu held); on failure the change
// is undone by the caller, so memory and disk agree.
func (h *host) persist() error {
	if h.file == nil {
		return nil
	}
	return h.file.save(h.kv)
}

func (h *host) setSettings(s json.RawMessage) {
	if len(s) == 0 || string(s) == "null" {
		s = json.RawMessage("{}")
	}
	h.mu.Lock()
	h.settings = append(json.RawMessage(nil), s...)
	h.mu.Unlock()
}

func (h *host) Log(_ context.Context, level sdk.LogLevel, msg string, fields map[string]string) error {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k, fields[k])
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

func (h *host) Settings(context.Context) (json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append(json.RawMessage(nil), h.settings...), nil
}

func (h *host) KVGet(_ context.Context, key string) ([]byte, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.kv[key]
	return append([]byte(nil), v...), ok, nil
}

func (h *host) KVPut(_ context.Context, key string, value []byte) error {
	if key == "" || len(key) > maxKVKey {
		return sdk.Invalidf("key must be 1..%d bytes", maxKVKey)
	}
	if len(value) > maxKVValue {
		return fmt.Errorf("%w: value of %d bytes (limit %d)", errKVFull, len(value), maxKVValue)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old, exists := h.kv[key]
	total := h.kvBytes - len(old) + len(value)
	if !exists {
		total += len(key)
	}
	if total > maxKVTotal || (!exists && len(h.kv) >= maxKVKeys) {
		return errKVFull
	}
	oldBytes := h.kvBytes
	h.kv[key], h.kvBytes = append([]byte(nil), value...), total
	if err := h.persist(); err != nil {
		if exists {
			h.kv[key] = old
		} else {
			delete(h.kv, key)
		}
		h.kvBytes = oldBytes
		return err
	}
	return nil
}

func (h *host) KVDelete(_ context.Context, key string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.kv[key]; ok {
		delete(h.kv, key)
		if err := h.persist(); err != nil {
			h.kv[key] = v
			return err
		}
		h.kvBytes -= len(key) + len(v)
	}
	return nil
}

func (h *host) KVList(_ context.Context, prefix string) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for k := range h.kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}
