package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// SignatureHeader carries "sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>".
const SignatureHeader = "X-Breeze-Signature"

// TimestampHeader is the Unix time the signature covers (replay protection).
const TimestampHeader = "X-Breeze-Timestamp"

// Webhook is the alert channel. It reaches receivers only through the
// host (sdk.HTTPClient): the server runs it without a network of its own
// and applies its egress policy to every request and redirect.
type Webhook struct {
	backoff time.Duration // first retry delay, doubled each time

	mu   sync.Mutex
	host sdk.Host
}

// New returns a webhook channel with production defaults.
func New() *Webhook {
	return &Webhook{backoff: 500 * time.Millisecond}
}

func (w *Webhook) SetHost(h sdk.Host) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.host = h
}

func (w *Webhook) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "webhook", Version: version, Description: "POSTs alerts as signed JSON"}, nil
}

// payload is the JSON body receivers get.
type payload struct {
	ID         string            `json:"id"`
	OrgID      string            `json:"orgId"`
	DeviceID   string            `json:"deviceId,omitempty"`
	DeviceName string            `json:"deviceName,omitempty"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status,omitempty"`
	Title      string            `json:"title"`
	Message    string            `json:"message"`
	Source     string            `json:"source,omitempty"`
	URL        string            `json:"url,omitempty"`
	OccurredAt time.Time         `json:"occurredAt"`
	Labels     map[string]string `json:"labels,omitempty"`
	Test       bool              `json:"test,omitempty"`
}

func (w *Webhook) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw := n.Settings
	if len(raw) == 0 {
		var err error
		if raw, err = w.hostSettings(ctx); err != nil {
			return sdk.SendResult{}, err
		}
	}
	s, err := parseSettings(raw)
	if err != nil {
		return sdk.SendResult{}, err
	}
	body, err := json.Marshal(payload{
		ID: n.ID, OrgID: n.OrgID, DeviceID: n.DeviceID, DeviceName: n.DeviceName, Severity: n.Severity,
		Status: n.Status, Title: n.Title, Message: n.Message, Source: n.Source, URL: n.URL,
		OccurredAt: n.OccurredAt, Labels: n.Labels,
	})
	if err != nil {
		return sdk.SendResult{}, fmt.Errorf("encode payload: %w", err)
	}
	return w.post(ctx, s, body)
}

func (w *Webhook) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	s, err := parseSettings(raw)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	body, _ := json.Marshal(payload{ID: "test", Severity: "info", Title: "Breeze test notification", Message: "If you can read this, the webhook works.", OccurredAt: time.Now().UTC(), Test: true})
	s.MaxAttempts = 1
	res, err := w.post(ctx, s, body)
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

func (w *Webhook) hostSettings(ctx context.Context) (json.RawMessage, error) {
	w.mu.Lock()
	h := w.host
	w.mu.Unlock()
	if h == nil {
		return nil, sdk.Invalidf("no settings given and no host to ask")
	}
	raw, err := h.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("host settings: %w", err)
	}
	return raw, nil
}

// post delivers body with retries: 5xx, 429 and network errors are retried
// with exponential backoff; other 4xx are final.
func (w *Webhook) post(ctx context.Context, s settings, body []byte) (sdk.SendResult, error) {
	res := sdk.SendResult{}
	delay := w.backoff
	for attempt := 1; attempt <= s.MaxAttempts; attempt++ {
		res.Attempts = attempt
		retry, detail, err := w.once(ctx, s, body)
		if err != nil && ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Detail = detail
		if err == nil && !retry {
			res.Delivered = true
			return res, nil
		}
		if !retry || attempt == s.MaxAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
	return res, nil
}

func (w *Webhook) once(ctx context.Context, s settings, body []byte) (retry bool, detail string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return false, err.Error(), err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "breeze-webhook/"+version)
	req.Header.Set(TimestampHeader, ts)
	if s.Secret != "" {
		req.Header.Set(SignatureHeader, Sign([]byte(s.Secret), ts, body))
	}
	w.mu.Lock()
	client := sdk.HTTPClient(w.host)
	w.mu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		// The host says "delivery failed" and keeps the detail in its log;
		// nothing more is told to whoever reads this answer.
		return true, sdk.ErrDeliveryFailed.Error(), err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	detail = resp.Status
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, detail, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, detail, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return false, detail, fmt.Errorf("webhook answered %s", resp.Status)
}

// Sign returns the X-Breeze-Signature value for body sent at ts.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
