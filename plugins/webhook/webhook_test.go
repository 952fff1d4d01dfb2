package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// receiver is a webhook endpoint that checks the signature; fail makes the
// first N requests answer 503.
func receiver(t *testing.T, secret string, fail int32) (*httptest.Server, *atomic.Int32) {
	var got atomic.Int32
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if seen.Add(1) <= fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if want := Sign([]byte(secret), r.Header.Get(TimestampHeader), body); r.Header.Get(SignatureHeader) != want {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p payload
		if err := json.Unmarshal(body, &p); err != nil || p.Title == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func settingsFor(url string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"url": url, "secret": "s3cret", "timeoutSeconds": 2, "maxAttempts": 3})
	return b
}

// fast is a webhook with short retries and a fake host (whose egress, like
// an operator's allow-list, reaches the loopback receivers).
func fast() *Webhook {
	w := New()
	w.backoff = 10 * time.Millisecond
	w.SetHost(sdktest.NewFakeHost(nil))
	return w
}

func TestConformance(t *testing.T) {
	srv, _ := receiver(t, "s3cret", 0)
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return fast() }, sdktest.AlertChannelFixture{
		ValidSettings:   settingsFor(srv.URL),
		InvalidSettings: json.RawMessage(`{"url":"ftp://nope","secret":"x"}`),
	})
}

func TestRetriesThenDelivers(t *testing.T) {
	srv, got := receiver(t, "s3cret", 2)
	res, err := fast().Send(context.Background(), sdk.Notification{Title: "t", Settings: settingsFor(srv.URL)})
	if err != nil || !res.Delivered || res.Attempts != 3 || got.Load() != 1 {
		t.Fatalf("Send = %+v, %v (received %d); want delivered on attempt 3", res, err, got.Load())
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv, got := receiver(t, "s3cret", 100)
	res, err := fast().Send(context.Background(), sdk.Notification{Title: "t", Settings: settingsFor(srv.URL)})
	if err != nil || res.Delivered || res.Attempts != 3 || got.Load() != 0 {
		t.Fatalf("Send = %+v, %v; want 3 failed attempts", res, err)
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	srv, _ := receiver(t, "other-secret", 0) // signature check fails: 401
	res, _ := fast().Send(context.Background(), sdk.Notification{Title: "t", Settings: settingsFor(srv.URL)})
	if res.Delivered || res.Attempts != 1 {
		t.Fatalf("Send with a wrong secret = %+v; want one undelivered attempt", res)
	}
}

func TestManifestAndSchema(t *testing.T) {
	m, _, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != sdk.KindAlertChannel {
		t.Fatalf("kind %q", m.Kind)
	}
	if err := manifest.ValidateSettings(m.SettingsSchema, settingsFor("https://example.test/hook")); err != nil {
		t.Fatalf("our own settings fail our schema: %v", err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	srv, got := receiver(t, "s3cret", 0)
	host := sdktest.NewFakeHost(settingsFor(srv.URL))
	ch := sdktest.Subprocess[sdk.AlertChannel](t, ".", sdk.KindAlertChannel, host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	info, err := ch.Info(ctx)
	if err != nil || info.Name != "webhook" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	// No settings in the notification: the plugin asks the host over the broker.
	res, err := ch.Send(ctx, sdk.Notification{ID: "1", Title: "Disk full", Severity: "critical"})
	if err != nil || !res.Delivered || got.Load() != 1 {
		t.Fatalf("Send through the real binary = %+v, %v (received %d)", res, err, got.Load())
	}
}
