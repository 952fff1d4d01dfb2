package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// Conformance, manifest, and the real binary against a Slack stand-in.
func TestWebhookChannel(t *testing.T) {
	sdktest.WebhookChannelConformance(t, New, sdktest.WebhookChannelFixture{Dir: ".", ID: "breeze.slack", Name: "slack", Answer: slackAnswer})
}

// The body is Slack's documented incoming-webhook message: text, and one
// attachment with the severity's colour holding a section and a context
// block. Slack's control characters in the title are escaped.
func TestMessageShape(t *testing.T) {
	for _, tc := range []struct {
		status, severity, color, verb string
	}{
		{"triggered", "critical", "#E01E5A", "Triggered"},
		{"acknowledged", "warning", "#ECB22E", "Acknowledged"},
		{"resolved", "critical", "#2EB67D", "Resolved"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			n := sdktest.SampleNotification()
			n.Title, n.Status, n.Severity = "[critical] CPU > 90% <!channel> & co", tc.status, tc.severity
			headline := tc.verb + ": [critical] CPU &gt; 90% &lt;!channel&gt; &amp; co (web-01)"
			facts := "Severity: *" + tc.severity + "*  ·  Status: *" + tc.status + "*  ·  At: 2026-01-02T03:04:05Z  ·  <https://breeze.example/alerts/a1|Open in Breeze>"
			sdktest.SendsJSON(t, New(), n, slackAnswer, map[string]any{
				"text": headline,
				"attachments": []any{map[string]any{
					"color":    tc.color,
					"fallback": tc.verb + ": [critical] CPU > 90% <!channel> & co (web-01)",
					"blocks": []any{
						map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "*" + headline + "*\ncpu.usage 97 &gt; 90"}},
						map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": facts}}},
					},
				}},
			})
		})
	}
}

func TestLongMessageIsCut(t *testing.T) {
	n := sdktest.SampleNotification()
	n.Message = strings.Repeat("é", 10_000)
	_, body := sdktest.SendBody(t, New(), n, slackAnswer)
	var m Message
	_ = json.Unmarshal(body, &m)
	if l := len([]rune(m.Attachments[0].Blocks[0].Text.Text)); l != maxSection {
		t.Fatalf("section text is %d characters, want Slack's limit %d", l, maxSection)
	}
}

// Slack's error code is shown; a 4xx is not tried again.
func TestSlackErrorIsFinal(t *testing.T) {
	rc := sdktest.NewReceiver(t, func(_ int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "no_service")
	})
	n := sdktest.SampleNotification()
	n.Settings = sdktest.WebhookSettings(rc.URL)
	res, err := sdktest.Fast(New()).Send(context.Background(), n)
	if err != nil || res.Delivered || res.Attempts != 1 || res.Detail != "404 Not Found: no_service" {
		t.Fatalf("Send = %+v, %v; want one undelivered try, detail with Slack's code", res, err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

// slackAnswer plays a Slack incoming webhook: 200 "ok", or 400
// invalid_payload for a body that is not a message.
func slackAnswer(_ int, body []byte, w http.ResponseWriter, _ *http.Request) {
	var m Message
	if json.Unmarshal(body, &m) != nil || m.Text == "" || len(m.Attachments) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "invalid_payload")
		return
	}
	_, _ = io.WriteString(w, "ok")
}
