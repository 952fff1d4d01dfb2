// Package toy has minimal plugins of every kind for the SDK's own tests.
package toy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

func info(name string) sdk.Info { return sdk.Info{Name: name, Version: "0.1.0"} }

// hostHolder keeps the Host handed over by SetHost.
type hostHolder struct {
	mu   sync.Mutex
	host sdk.Host
}

func (h *hostHolder) SetHost(host sdk.Host) { h.mu.Lock(); h.host = host; h.mu.Unlock() }
func (h *hostHolder) Host() sdk.Host        { h.mu.Lock(); defer h.mu.Unlock(); return h.host }

// Alert "delivers" when settings have {"ok":true}; with {"kv":true} it also
// counts sends in the host KV and logs through the host.
type Alert struct{ hostHolder }

type alertSettings struct {
	OK bool `json:"ok"`
	KV bool `json:"kv"`
}

func (a *Alert) Info(context.Context) (sdk.Info, error) { return info("toy-alert"), nil }

func (a *Alert) settings(ctx context.Context, raw json.RawMessage) (alertSettings, error) {
	var s alertSettings
	if len(raw) == 0 && a.Host() != nil {
		var err error
		if raw, err = a.Host().Settings(ctx); err != nil {
			return s, err
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil || !s.OK {
		return s, sdk.Invalidf("settings must say ok")
	}
	return s, nil
}

func (a *Alert) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return sdk.SendResult{}, err
	}
	s, err := a.settings(ctx, n.Settings)
	if err != nil {
		return sdk.SendResult{}, err
	}
	if s.KV {
		h := a.Host()
		v, _, err := h.KVGet(ctx, "sent")
		if err != nil {
			return sdk.SendResult{}, err
		}
		if err := h.KVPut(ctx, "sent", append(v, 'x')); err != nil {
			return sdk.SendResult{}, err
		}
		if err := h.Log(ctx, sdk.LogInfo, "sent "+n.Title, map[string]string{"id": n.ID}); err != nil {
			return sdk.SendResult{}, err
		}
	}
	return sdk.SendResult{Delivered: true, Attempts: 1}, nil
}

func (a *Alert) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	if _, err := a.settings(ctx, raw); err != nil {
		return sdk.TestResult{Detail: err.Error()}, nil
	}
	return sdk.TestResult{OK: true}, nil
}

// Scanner "finds" every address of its targets (no network).
type Scanner struct{}

func (*Scanner) Info(context.Context) (sdk.Info, error) { return info("toy-scanner"), nil }

func (*Scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	for _, t := range spec.Targets {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return sdk.Invalidf("target %q: %v", t, err)
		}
		for a := p.Masked().Addr(); p.Contains(a); a = a.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(sdk.Asset{IP: a.String(), Alive: true, OpenPorts: spec.Ports, RTT: time.Millisecond}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Runtime runs "echo WORDS", "exit N", "warn WORDS" and "sleep".
type Runtime struct{}

func (*Runtime) Info(context.Context) (sdk.Info, error)      { return info("toy-runtime"), nil }
func (*Runtime) Languages(context.Context) ([]string, error) { return []string{"toy"}, nil }

func (*Runtime) Run(ctx context.Context, req sdk.RunRequest, stdout, stderr io.Writer) (sdk.ExitStatus, error) {
	if req.Language != "toy" {
		return sdk.ExitStatus{}, sdk.Invalidf("language %q", req.Language)
	}
	cmd, rest, _ := strings.Cut(req.Body, " ")
	switch cmd {
	case "echo":
		fmt.Fprintln(stdout, rest)
	case "warn":
		fmt.Fprintln(stderr, rest)
	case "exit":
		var code int
		fmt.Sscan(rest, &code)
		return sdk.ExitStatus{Code: code}, nil
	case "sleep":
		var timeout <-chan time.Time
		if req.Timeout > 0 {
			timeout = time.After(req.Timeout)
		}
		select {
		case <-ctx.Done():
			return sdk.ExitStatus{}, ctx.Err()
		case <-timeout:
			return sdk.ExitStatus{Code: 124, TimedOut: true}, nil
		}
	}
	return sdk.ExitStatus{}, nil
}

// Collector returns a fixed collection.
type Collector struct{}

func (*Collector) Info(context.Context) (sdk.Info, error) { return info("toy-collector"), nil }

func (*Collector) Collect(ctx context.Context) (sdk.Collection, error) {
	if err := ctx.Err(); err != nil {
		return sdk.Collection{}, err
	}
	return sdk.Collection{
		Metrics: []sdk.Metric{{Name: "toy.value", Value: 42, Unit: "things", Labels: map[string]string{"a": "b"}}},
		Facts:   []sdk.Fact{{Key: "toy.fact", Value: "yes"}},
	}, nil
}
