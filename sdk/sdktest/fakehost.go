// Package sdktest helps plugin authors and hosts test plugins: an
// in-process harness over go-plugin's test connection, a subprocess harness
// that builds and launches the real binary, a fake host API and one
// conformance suite per plugin kind.
package sdktest

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/breeze-rmm/breeze/sdk"
)

// LogLine is one line a plugin logged through the host.
type LogLine struct {
	Level   sdk.LogLevel
	Message string
	Fields  map[string]string
}

// FakeHost is an in-memory sdk.Host: fixed settings, a KV map, captured logs,
// and egress (HTTP and TCP) without a policy.
type FakeHost struct {
	mu       sync.Mutex
	settings json.RawMessage
	kv       map[string][]byte
	logs     []LogLine
}

var _ sdk.Host = (*FakeHost)(nil)

// NewFakeHost returns a host that answers Settings with settings.
func NewFakeHost(settings json.RawMessage) *FakeHost {
	return &FakeHost{settings: settings, kv: map[string][]byte{}}
}

// SetSettings replaces the settings the host hands out.
func (h *FakeHost) SetSettings(s json.RawMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.settings = s
}

// Logs returns a copy of what the plugin logged.
func (h *FakeHost) Logs() []LogLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogLine(nil), h.logs...)
}

func (h *FakeHost) Log(_ context.Context, level sdk.LogLevel, msg string, fields map[string]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, LogLine{Level: level, Message: msg, Fields: fields})
	return nil
}

func (h *FakeHost) Settings(context.Context) (json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.settings == nil {
		return json.RawMessage(`{}`), nil
	}
	return append(json.RawMessage(nil), h.settings...), nil
}

func (h *FakeHost) KVGet(_ context.Context, key string) ([]byte, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.kv[key]
	return append([]byte(nil), v...), ok, nil
}

func (h *FakeHost) KVPut(_ context.Context, key string, value []byte) error {
	if key == "" {
		return sdk.Invalidf("empty key")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kv[key] = append([]byte(nil), value...)
	return nil
}

func (h *FakeHost) KVDelete(_ context.Context, key string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.kv, key)
	return nil
}

func (h *FakeHost) KVList(_ context.Context, prefix string) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var keys []string
	for k := range h.kv {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}
