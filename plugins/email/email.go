package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// Email is the alert channel. It reaches the relay only through the host
// (sdk.DialTCP): the server runs it without a network of its own and holds
// every connection to its egress policy, as it does the webhooks' HTTP.
type Email struct {
	now func() time.Time

	mu   sync.Mutex
	host sdk.Host
}

// New returns an e-mail channel.
func New() *Email { return &Email{now: time.Now} }

func (e *Email) SetHost(h sdk.Host) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.host = h
}

func (e *Email) getHost() sdk.Host {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.host
}

func (e *Email) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "email", Version: version, Description: "Sends alerts as e-mail through an SMTP relay"}, nil
}

// Send makes one delivery attempt: the host's queue retries, and the
// Message-ID, derived from the notification's id, stays the same.
func (e *Email) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw := n.Settings
	if len(raw) == 0 {
		h := e.getHost()
		if h == nil {
			return sdk.SendResult{}, sdk.Invalidf("no settings given and no host to ask")
		}
		var err error
		if raw, err = h.Settings(ctx); err != nil {
			return sdk.SendResult{}, fmt.Errorf("host settings: %w", err)
		}
	}
	s, err := parseSettings(raw)
	if err != nil {
		return sdk.SendResult{}, err
	}
	if n.Status == "acknowledged" && !s.SendAcknowledged {
		return sdk.SendResult{Delivered: true, Detail: "not sent: sendAcknowledged is off"}, nil
	}
	return e.send(ctx, s, n)
}

func (e *Email) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	s, err := parseSettings(raw)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	n := sdk.Notification{Severity: "info", Status: "triggered", Title: "Breeze test notification",
		Message: "If you can read this, the e-mail channel works.", OccurredAt: e.now().UTC()}
	res, err := e.send(ctx, s, n)
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

func (e *Email) send(ctx context.Context, s settings, n sdk.Notification) (sdk.SendResult, error) {
	h := e.getHost()
	err := deliver(ctx, h, s, compose(n, s, e.now()))
	if ctx.Err() != nil {
		return sdk.SendResult{Attempts: 1}, ctx.Err()
	}
	if err == nil {
		return sdk.SendResult{Delivered: true, Attempts: 1, Detail: fmt.Sprintf("accepted by %s for %d recipient(s)", s.address(), len(s.to))}, nil
	}
	var f *failure
	if !errors.As(err, &f) {
		f = fail(sdk.ErrDeliveryFailed.Error(), err)
	}
	if h != nil && f.err != nil {
		_ = h.Log(ctx, sdk.LogWarn, "e-mail not delivered", map[string]string{"relay": s.address(), "error": f.err.Error()})
	}
	return sdk.SendResult{Attempts: 1, Detail: f.detail}, nil
}
