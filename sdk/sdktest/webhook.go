package sdktest

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// Answer writes a Receiver's answer to the i-th request (from 1), whose
// body it is given: a stand-in for the service, which checks the shape of
// what it receives as the service would.
type Answer = func(i int, body []byte, w http.ResponseWriter, r *http.Request)

// jsonPost wraps answer: a request that is not a JSON POST gets 415, as
// a service would answer it, before answer sees it.
func jsonPost(answer Answer) Answer {
	return func(i int, body []byte, w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		if answer != nil {
			answer(i, body, w, r)
		}
	}
}

// WebhookSettings returns the settings of a WebhookChannel posting to u.
func WebhookSettings(u string) json.RawMessage {
	b, _ := json.Marshal(sdk.WebhookSettings{WebhookURL: u})
	return b
}

// Fast gives c short tries (3 of at most 500 ms, 10 ms apart) and a
// FakeHost, whose egress reaches a Receiver; it returns c.
func Fast(c *sdk.WebhookChannel) *sdk.WebhookChannel {
	c.Post = sdk.PostOptions{Attempts: 3, Backoff: 10 * time.Millisecond, Timeout: 500 * time.Millisecond}
	c.SetHost(NewFakeHost(nil))
	return c
}

// SampleNotification is a triggered critical alert with every field set,
// for tests of what a channel sends.
func SampleNotification() sdk.Notification {
	return sdk.Notification{
		ID: "a1:triggered", OrgID: "org-1", DeviceID: "dev-1", DeviceName: "web-01", Severity: "critical",
		Status: "triggered", Title: "[critical] CPU > 90%", Message: "cpu.usage 97 > 90",
		Source: "breeze", URL: "https://breeze.example/alerts/a1", OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Labels: map[string]string{"alertId": "a1", "ruleId": "r1", "kind": "metric_threshold"},
	}
}

// WebhookChannelFixture is what WebhookChannelConformance needs.
type WebhookChannelFixture struct {
	// Dir holds the plugin's main package and plugin.json ("." from its test).
	Dir string
	// ID is the manifest's id; Name is what Info says.
	ID, Name string
	// Answer plays the service: it answers a valid message with a 2xx
	// (nil: 200 to all). Only JSON POSTs reach it; others get 415.
	Answer Answer
}

// WebhookChannelConformance runs the alert channel suite against a channel
// whose settings are WebhookSettings, with a Receiver playing the service;
// checks that plugin.json describes an alert channel whose webhookUrl is a
// secret and that its schema takes the settings; then builds and launches
// the real binary and has it Send, with the host's settings, and Test.
func WebhookChannelConformance(t *testing.T, newChannel func() *sdk.WebhookChannel, fx WebhookChannelFixture) {
	t.Helper()
	factory := func(*testing.T) sdk.AlertChannel { return Fast(newChannel()) }
	rc := NewReceiver(t, jsonPost(fx.Answer))
	settings := WebhookSettings(rc.URL + "/hooks/x")
	AlertChannelConformance(t, factory, AlertChannelFixture{
		ValidSettings: settings, InvalidSettings: json.RawMessage(`{"webhookUrl":"ftp://nope"}`),
	})
	t.Run("Manifest", func(t *testing.T) {
		m, _, err := manifest.Load(fx.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != sdk.KindAlertChannel || m.ID != fx.ID || !m.SettingsSchema.Properties["webhookUrl"].Secret {
			t.Fatalf("manifest %+v: want alert channel %s with a secret webhookUrl", m, fx.ID)
		}
		if err := manifest.ValidateSettings(m.SettingsSchema, WebhookSettings("https://hooks.example.com/services/x")); err != nil {
			t.Fatalf("the channel's own settings fail its schema: %v", err)
		}
	})
	t.Run("Subprocess", func(t *testing.T) {
		rc := NewReceiver(t, jsonPost(fx.Answer))
		ch := Subprocess[sdk.AlertChannel](t, fx.Dir, sdk.KindAlertChannel, NewFakeHost(WebhookSettings(rc.URL)))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if info, err := ch.Info(ctx); err != nil || info.Name != fx.Name {
			t.Fatalf("Info = %+v, %v; want name %q", info, err, fx.Name)
		}
		// No settings in the notification: the plugin asks the host over the broker.
		n := sdk.Notification{ID: "n-1", Severity: "warning", Status: "triggered", Title: "Load high", Message: "load 9"}
		if res, err := ch.Send(ctx, n); err != nil || !res.Delivered || len(rc.Bodies()) != 1 {
			t.Fatalf("Send through the real binary = %+v, %v (received %d)", res, err, len(rc.Bodies()))
		}
		if res, err := ch.Test(ctx, WebhookSettings(rc.URL)); err != nil || !res.OK || len(rc.Bodies()) != 2 {
			t.Fatalf("Test through the real binary = %+v, %v", res, err)
		}
	})
}

// SendBody sends n (its settings replaced by a new Receiver's, answering
// with answer) through ch, made Fast, fails the test unless it is delivered on the
// first try, and returns the result and the body the receiver got.
func SendBody(t *testing.T, ch *sdk.WebhookChannel, n sdk.Notification, answer Answer) (sdk.SendResult, []byte) {
	t.Helper()
	rc := NewReceiver(t, jsonPost(answer))
	n.Settings = WebhookSettings(rc.URL)
	res, err := Fast(ch).Send(ctxT(t), n)
	if got := rc.Bodies(); err != nil || !res.Delivered || res.Attempts != 1 || len(got) != 1 {
		t.Fatalf("Send = %+v, %v (%d requests); want delivered on the first try", res, err, len(got))
	}
	return res, rc.Bodies()[0]
}

// SendsJSON is SendBody, then fails the test unless the body is the JSON
// of want (a map, or the service's own message type).
func SendsJSON(t *testing.T, ch *sdk.WebhookChannel, n sdk.Notification, answer Answer, want any) sdk.SendResult {
	t.Helper()
	res, body := SendBody(t, ch, n, answer)
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	w, err := json.Marshal(want)
	if err != nil || json.Unmarshal(w, &exp) != nil {
		t.Fatalf("want %v is not JSON: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(exp, "", " ")
		t.Fatalf("body:\n%s\nwant:\n%s", g, w)
	}
	return res
}
