package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ChannelPostOptions are the PostOptions for an alert channel's delivery:
// three tries of at most 4 s each, 500 ms apart and more, so a Send ends
// within the 15 s the server's notification queue gives one attempt.
func ChannelPostOptions() PostOptions {
	return PostOptions{Attempts: 3, Backoff: 500 * time.Millisecond, Timeout: 4 * time.Second}
}

// WebhookSettings are the settings of a WebhookChannel: the incoming
// webhook's URL, which is also its secret (mark it "secret" in plugin.json).
type WebhookSettings struct {
	WebhookURL string `json:"webhookUrl"`
}

// ParseWebhookSettings decodes and checks WebhookSettings. Its errors wrap
// ErrInvalid and never repeat the URL.
func ParseWebhookSettings(raw json.RawMessage) (WebhookSettings, error) {
	var st WebhookSettings
	if len(raw) == 0 {
		return st, Invalidf("no settings")
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, Invalidf("settings: %v", err)
	}
	u, err := url.Parse(st.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return st, Invalidf("webhookUrl: want an absolute http(s) URL")
	}
	return st, nil
}

// WebhookChannel is a whole AlertChannel for a service that takes alerts as
// a JSON POST to an incoming webhook URL (Slack, Teams, Discord,
// Mattermost, Google Chat): the plugin supplies the payload, the channel
// does the rest. Settings are WebhookSettings, from the notification or the
// host; Send POSTs Build's payload with PostJSON (2xx delivered; 429, 5xx
// and failed exchanges tried again; redirects to the same host only); Test
// delivers a test notification built the same way. Serve it with
// ServeAlertChannel(&WebhookChannel{…}).
type WebhookChannel struct {
	HostRef

	Name, Version, Description string // Info; Name also makes the User-Agent breeze-<Name>/<Version>
	// Service names the service in the test notification's message
	// ("the Slack channel works"); empty: Name.
	Service string
	// Build returns the service's message for n; it is sent as JSON. An
	// error wrapping ErrInvalid is the notification's fault.
	Build func(n Notification) (any, error)
	// Explain, optional, adds what the receiver's answer says to the
	// result (a service's error code in the body); it sees every answer.
	Explain func(res *PostResult)
	// Post tunes delivery; zero fields take ChannelPostOptions'.
	Post PostOptions
}

var (
	_ AlertChannel = (*WebhookChannel)(nil)
	_ HostAware    = (*WebhookChannel)(nil)
)

// Info describes the channel.
func (c *WebhookChannel) Info(context.Context) (Info, error) {
	return Info{Name: c.Name, Version: c.Version, Description: c.Description}, nil
}

// Send delivers n to the webhook.
func (c *WebhookChannel) Send(ctx context.Context, n Notification) (SendResult, error) {
	raw, err := c.NotificationSettings(ctx, n)
	if err != nil {
		return SendResult{}, err
	}
	st, err := ParseWebhookSettings(raw)
	if err != nil {
		return SendResult{}, err
	}
	return c.deliver(ctx, st, n)
}

// Test delivers a test notification with settings; bad settings are a
// TestResult that is not OK, with the reason.
func (c *WebhookChannel) Test(ctx context.Context, settings json.RawMessage) (TestResult, error) {
	st, err := ParseWebhookSettings(settings)
	if err != nil {
		return TestResult{OK: false, Detail: err.Error()}, nil
	}
	service := c.Service
	if service == "" {
		service = c.Name
	}
	n := Notification{Severity: "info", Status: "triggered", Title: "Breeze test notification",
		Message: "If you can read this, the " + service + " channel works.", OccurredAt: time.Now().UTC()}
	res, err := c.deliver(ctx, st, n)
	if err != nil {
		return TestResult{}, err
	}
	return TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

func (c *WebhookChannel) deliver(ctx context.Context, st WebhookSettings, n Notification) (SendResult, error) {
	if c.Build == nil {
		return SendResult{}, errors.New("sdk: WebhookChannel has no Build")
	}
	m, err := c.Build(n)
	if err != nil {
		return SendResult{}, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return SendResult{}, fmt.Errorf("encode message: %w", err)
	}
	res, err := PostJSON(ctx, c.Host(), st.WebhookURL, body, c.postOptions())
	if err == nil && c.Explain != nil {
		c.Explain(&res)
	}
	return res.SendResult, err
}

// postOptions is Post with ChannelPostOptions' defaults and a User-Agent.
func (c *WebhookChannel) postOptions() PostOptions {
	o, def := c.Post, ChannelPostOptions()
	if o.Attempts <= 0 {
		o.Attempts = def.Attempts
	}
	if o.Backoff <= 0 {
		o.Backoff = def.Backoff
	}
	if o.Timeout <= 0 {
		o.Timeout = def.Timeout
	}
	o.Header = o.Header.Clone()
	if o.Header == nil {
		o.Header = http.Header{}
	}
	if o.Header.Get("User-Agent") == "" {
		o.Header.Set("User-Agent", "breeze-"+c.Name+"/"+c.Version)
	}
	return o
}
