package main

import (
	"encoding/json"
	"net/url"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// settings are the channel's per-org settings (see plugin.json's schema).
type settings struct {
	URL            string `json:"url"`
	Secret         string `json:"secret"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
	MaxAttempts    int    `json:"maxAttempts"`
}

func parseSettings(raw json.RawMessage) (settings, error) {
	s := settings{TimeoutSeconds: 10, MaxAttempts: 3}
	if len(raw) == 0 {
		return s, sdk.Invalidf("no settings")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, sdk.Invalidf("settings: %v", err)
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, sdk.Invalidf("url %q: want an absolute http(s) URL", s.URL)
	}
	if s.TimeoutSeconds < 1 || s.TimeoutSeconds > 60 {
		return s, sdk.Invalidf("timeoutSeconds %d: want 1..60", s.TimeoutSeconds)
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > 10 {
		return s, sdk.Invalidf("maxAttempts %d: want 1..10", s.MaxAttempts)
	}
	return s, nil
}

func (s settings) timeout() time.Duration { return time.Duration(s.TimeoutSeconds) * time.Second }
