package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// HostRef keeps the Host a plugin is given. Embed it in a plugin: its
// SetHost makes the plugin HostAware, Host reads the Host back (nil until
// the host has initialised the plugin). Safe for concurrent use.
type HostRef struct {
	mu   sync.Mutex
	host Host
}

// SetHost implements HostAware.
func (r *HostRef) SetHost(h Host) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.host = h
}

// Host is the Host given to SetHost, or nil.
func (r *HostRef) Host() Host {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}

// NotificationSettings is the settings an alert channel should use for n:
// n.Settings, or, when the notification carries none, the host's
// (Host.Settings). With neither it is an ErrInvalid error.
func (r *HostRef) NotificationSettings(ctx context.Context, n Notification) (json.RawMessage, error) {
	if len(n.Settings) > 0 {
		return n.Settings, nil
	}
	h := r.Host()
	if h == nil {
		return nil, Invalidf("no settings given and no host to ask")
	}
	raw, err := h.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("host settings: %w", err)
	}
	return raw, nil
}
