package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// The body is the documented Teams envelope: {"type":"message",
// "attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
// "contentUrl":null,"content":<Adaptive Card>}]}.
func TestCardShape(t *testing.T) {
	// transition → severity, title colour, title
	for status, tc := range map[string]struct{ severity, color, title string }{
		"triggered":    {"critical", "Attention", "Triggered: [critical] CPU > 90% & co"},
		"acknowledged": {"warning", "Warning", "Acknowledged: [critical] CPU > 90% & co"},
		"resolved":     {"critical", "Good", "Resolved: [critical] CPU > 90% & co"},
	} {
		t.Run(status, func(t *testing.T) {
			n := sdktest.SampleNotification()
			n.Title, n.Status, n.Severity = "[critical] CPU > 90% & co", status, tc.severity
			content := map[string]any{
				"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
				"type":    "AdaptiveCard",
				"version": "1.4",
				"body": []any{
					map[string]any{"type": "TextBlock", "text": tc.title,
						"size": "Large", "weight": "Bolder", "color": tc.color, "wrap": true},
					map[string]any{"type": "TextBlock", "text": "cpu.usage 97 > 90", "wrap": true},
					map[string]any{"type": "FactSet", "facts": []any{
						map[string]any{"title": "Severity", "value": tc.severity},
						map[string]any{"title": "Status", "value": status},
						map[string]any{"title": "Device", "value": "web-01"},
						map[string]any{"title": "Occurred", "value": "2026-01-02T03:04:05Z"},
						map[string]any{"title": "Condition", "value": "metric_threshold"},
					}},
				},
				"actions": []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in Breeze", "url": "https://breeze.example/alerts/a1"}},
				"msteams": map[string]any{"width": "Full"},
			}
			want := map[string]any{"type": "message", "attachments": []any{map[string]any{
				"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": content}}}
			if res := sdktest.SendsJSON(t, New(), n, teamsAnswer, want); res.Detail != "202 Accepted" {
				t.Fatalf("detail %q, want Teams' 202 Accepted", res.Detail)
			}
		})
	}
}

func TestLongMessageIsCut(t *testing.T) {
	n := sdktest.SampleNotification()
	n.Message = strings.Repeat("é", 50_000)
	if _, b := sdktest.SendBody(t, New(), n, teamsAnswer); len(b) > 28<<10 {
		t.Fatalf("message is %d bytes; Teams takes about 28 KB", len(b))
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

// Conformance, manifest, and the real binary against a Teams stand-in.
func TestWebhookChannel(t *testing.T) {
	sdktest.WebhookChannelConformance(t, New, sdktest.WebhookChannelFixture{Dir: ".", ID: "breeze.teams", Name: "teams", Answer: teamsAnswer})
}

// teamsAnswer plays a Teams webhook (a Workflows trigger): 202 to a message
// envelope holding one Adaptive Card, 400 otherwise.
func teamsAnswer(_ int, body []byte, w http.ResponseWriter, _ *http.Request) {
	var m Message
	if json.Unmarshal(body, &m) != nil || m.Type != "message" || len(m.Attachments) != 1 ||
		m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || m.Attachments[0].Content.Type != "AdaptiveCard" {
		http.Error(w, "Invalid request", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
