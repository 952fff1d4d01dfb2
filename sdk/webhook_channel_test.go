package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// chatMessage is a Discord-style payload: what a community channel builds.
type chatMessage struct {
	Content string `json:"content"`
}

// chat is a WebhookChannel as a community author would write it, with
// short tries and a FakeHost (whose egress reaches loopback receivers).
func chat() *sdk.WebhookChannel {
	c := &sdk.WebhookChannel{
		Name: "chat", Version: "0.2.0", Description: "Posts alerts to a chat webhook", Service: "Chat",
		Build: func(n sdk.Notification) (any, error) {
			if n.Title == "" {
				return nil, sdk.Invalidf("no title")
			}
			return chatMessage{Content: n.Status + ": " + n.Title + " — " + n.Message}, nil
		},
		Post: sdk.PostOptions{Attempts: 3, Backoff: 10 * time.Millisecond, Timeout: 300 * time.Millisecond},
	}
	c.SetHost(sdktest.NewFakeHost(nil))
	return c
}

func webhookSettings(u string) json.RawMessage {
	b, _ := json.Marshal(sdk.WebhookSettings{WebhookURL: u})
	return b
}

var alert = sdk.Notification{ID: "a1:triggered", Severity: "critical", Status: "triggered", Title: "CPU high", Message: "97%"}

// The body is Build's payload as JSON, sent with the channel's User-Agent;
// settings come from the notification, else from the host.
func TestWebhookChannelSend(t *testing.T) {
	var (
		mu     sync.Mutex
		agents []string
	)
	rc := sdktest.NewReceiver(t, func(_ int, _ []byte, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		agents = append(agents, r.Header.Get("User-Agent")+" "+r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusNoContent)
	})
	c := chat()
	n := alert
	n.Settings = webhookSettings(rc.URL + "/api/webhooks/1/tok")
	res, err := c.Send(context.Background(), n)
	if err != nil || !res.Delivered || res.Attempts != 1 || res.Detail != "204 No Content" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	c.SetHost(sdktest.NewFakeHost(webhookSettings(rc.URL)))
	if res, err := c.Send(context.Background(), alert); err != nil || !res.Delivered {
		t.Fatalf("Send with the host's settings = %+v, %v", res, err)
	}
	got := rc.Bodies()
	want := `{"content":"triggered: CPU high — 97%"}`
	if len(got) != 2 || string(got[0]) != want || string(got[1]) != want {
		t.Fatalf("bodies %q; want twice %s", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if agents[0] != "breeze-chat/0.2.0 application/json" {
		t.Fatalf("headers %q", agents[0])
	}
	info, _ := c.Info(context.Background())
	if info.Name != "chat" || info.Version != "0.2.0" || info.Description == "" {
		t.Fatalf("Info = %+v", info)
	}
}

func TestWebhookChannelRetriesThenDelivers(t *testing.T) {
	rc := sdktest.NewReceiver(t, func(i int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		if i < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	n := alert
	n.Settings = webhookSettings(rc.URL)
	res, err := chat().Send(context.Background(), n)
	if err != nil || !res.Delivered || res.Attempts != 3 || len(rc.Bodies()) != 3 {
		t.Fatalf("Send = %+v, %v (%d requests); want delivered on the 3rd try", res, err, len(rc.Bodies()))
	}
}

// A 4xx is final, and Explain reads the service's answer into the detail.
func TestWebhookChannelClientErrorIsFinal(t *testing.T) {
	rc := sdktest.NewReceiver(t, func(_ int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("unknown_webhook"))
	})
	c := chat()
	c.Explain = func(res *sdk.PostResult) {
		if !res.Delivered {
			res.Detail += ": " + string(res.Body)
		}
	}
	n := alert
	n.Settings = webhookSettings(rc.URL)
	res, err := c.Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 1 || res.Detail != "404 Not Found: unknown_webhook" || len(rc.Bodies()) != 1 {
		t.Fatalf("Send = %+v, %v; want one undelivered try with the service's code", res, err)
	}
}

// A receiver that never answers costs the per-try timeout, not a hang.
func TestWebhookChannelNeverAnswers(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	rc := sdktest.NewReceiver(t, func(_ int, _ []byte, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	n := alert
	n.Settings = webhookSettings(rc.URL)
	start := time.Now()
	res, err := chat().Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 3 || res.Detail != sdk.ErrDeliveryFailed.Error() {
		t.Fatalf("Send = %+v, %v; want 3 timed-out tries", res, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Send took %s for 3 tries of 300 ms", d)
	}
}

// A zero Post takes the channel defaults: 3 tries, backoff from 500 ms.
func TestWebhookChannelDefaults(t *testing.T) {
	rc := sdktest.NewReceiver(t, func(_ int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	c := chat()
	c.Post = sdk.PostOptions{}
	n := alert
	n.Settings = webhookSettings(rc.URL)
	start := time.Now()
	res, err := c.Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 3 || len(rc.Bodies()) != 3 {
		t.Fatalf("Send = %+v, %v; want 3 tries", res, err)
	}
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("3 tries took %s; the default backoff waits 0.5 s, then 1 s", d)
	}
	if o := sdk.ChannelPostOptions(); o.Attempts*int(o.Timeout)+int(o.Backoff)*3 > int(15*time.Second) {
		t.Fatalf("ChannelPostOptions %+v do not fit the queue's 15 s attempt", o)
	}
}

func TestWebhookChannelBadInput(t *testing.T) {
	rc := sdktest.NewReceiver(t, nil)
	c := chat()
	for name, raw := range map[string]string{
		"no scheme":   `{"webhookUrl":"hooks.example.com/services/SECRET"}`,
		"ftp":         `{"webhookUrl":"ftp://hooks.example.com/SECRET"}`,
		"not json":    `{"webhookUrl":`,
		"no settings": ``,
	} {
		res, err := c.Test(context.Background(), json.RawMessage(raw))
		if err != nil || res.OK || strings.Contains(res.Detail, "SECRET") {
			t.Errorf("%s: Test = %+v, %v; want refused without the URL", name, res, err)
		}
		n := alert
		n.Settings = json.RawMessage(raw)
		if raw == "" {
			c.SetHost(nil)
		}
		if _, err := c.Send(context.Background(), n); !errors.Is(err, sdk.ErrInvalid) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: Send error %v; want ErrInvalid without the URL", name, err)
		}
	}
	// Build's own refusal is the caller's, and nothing is sent.
	n := alert
	n.Title, n.Settings = "", webhookSettings(rc.URL)
	if _, err := chat().Send(context.Background(), n); !errors.Is(err, sdk.ErrInvalid) || len(rc.Bodies()) != 0 {
		t.Fatalf("Send of an unbuildable notification = %v (%d requests); want ErrInvalid, nothing sent", err, len(rc.Bodies()))
	}
}

// Test delivers a real test notification built like any other.
func TestWebhookChannelTest(t *testing.T) {
	rc := sdktest.NewReceiver(t, nil)
	res, err := chat().Test(context.Background(), webhookSettings(rc.URL))
	if err != nil || !res.OK || res.Detail != "200 OK" {
		t.Fatalf("Test = %+v, %v", res, err)
	}
	var m chatMessage
	if got := rc.Bodies(); len(got) != 1 || json.Unmarshal(got[0], &m) != nil ||
		m.Content != "triggered: Breeze test notification — If you can read this, the Chat channel works." {
		t.Fatalf("test message %q", got)
	}
}

func TestWebhookChannelConformance(t *testing.T) {
	rc := sdktest.NewReceiver(t, nil)
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return chat() }, sdktest.AlertChannelFixture{
		ValidSettings:   webhookSettings(rc.URL + "/hook"),
		InvalidSettings: json.RawMessage(`{"webhookUrl":"ftp://nope"}`),
	})
}
