package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// Teams is the alert channel. Like every server-side plugin it reaches
// Teams only through the host's egress (sdk.PostJSON over sdk.HTTPClient).
type Teams struct {
	post sdk.PostOptions

	mu   sync.Mutex
	host sdk.Host
}

// New returns a Teams channel with production defaults: three tries of at
// most 4 s each, so a Send ends within the host's 15 s attempt budget.
func New() *Teams {
	return &Teams{post: sdk.PostOptions{Attempts: 3, Backoff: 500 * time.Millisecond, Timeout: 4 * time.Second}}
}

func (t *Teams) SetHost(h sdk.Host) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.host = h
}

func (t *Teams) getHost() sdk.Host {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.host
}

func (t *Teams) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "teams", Version: version, Description: "Posts alerts as Adaptive Cards to a Teams webhook"}, nil
}

type settings struct {
	WebhookURL string `json:"webhookUrl"`
}

func parseSettings(raw json.RawMessage) (settings, error) {
	var st settings
	if len(raw) == 0 {
		return st, sdk.Invalidf("no settings")
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, sdk.Invalidf("settings: %v", err)
	}
	u, err := url.Parse(st.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is the secret: never echo it.
		return st, sdk.Invalidf("webhookUrl: want an absolute http(s) URL")
	}
	return st, nil
}

func (t *Teams) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw := n.Settings
	if len(raw) == 0 {
		h := t.getHost()
		if h == nil {
			return sdk.SendResult{}, sdk.Invalidf("no settings given and no host to ask")
		}
		var err error
		if raw, err = h.Settings(ctx); err != nil {
			return sdk.SendResult{}, fmt.Errorf("host settings: %w", err)
		}
	}
	st, err := parseSettings(raw)
	if err != nil {
		return sdk.SendResult{}, err
	}
	return t.deliver(ctx, st, message(n))
}

func (t *Teams) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	st, err := parseSettings(raw)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	m := message(sdk.Notification{Severity: "info", Status: "triggered", Title: "Breeze test notification",
		Message: "If you can read this, the Teams channel works.", OccurredAt: time.Now().UTC()})
	res, err := t.deliver(ctx, st, m)
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

func (t *Teams) deliver(ctx context.Context, st settings, m Message) (sdk.SendResult, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return sdk.SendResult{}, fmt.Errorf("encode message: %w", err)
	}
	o := t.post
	o.Header = map[string][]string{"User-Agent": {"breeze-teams/" + version}}
	res, err := sdk.PostJSON(ctx, t.getHost(), st.WebhookURL, body, o)
	return res.SendResult, err
}

// Message is the envelope Teams webhooks take: a "message" with one
// Adaptive Card attachment.
type Message struct {
	Type        string       `json:"type"` // "message"
	Attachments []Attachment `json:"attachments"`
}

// Attachment holds the card; contentUrl is null for an inline card.
type Attachment struct {
	ContentType string  `json:"contentType"` // application/vnd.microsoft.card.adaptive
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card (schema version 1.4, which Teams renders).
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"` // AdaptiveCard
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// Element is a TextBlock or a FactSet.
type Element struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	Size   string `json:"size,omitempty"`
	Weight string `json:"weight,omitempty"`
	Color  string `json:"color,omitempty"`
	Wrap   bool   `json:"wrap,omitempty"`
	Facts  []Fact `json:"facts,omitempty"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// MSTeams holds the Teams-only card options.
type MSTeams struct {
	Width string `json:"width"`
}

const (
	cardType   = "application/vnd.microsoft.card.adaptive"
	cardSchema = "http://adaptivecards.io/schemas/adaptive-card.json"
	// maxText keeps a card well under Teams' ~28 KB message limit.
	maxText = 4000
)

// Adaptive Card text colours by severity; "Good" once resolved.
var colors = map[string]string{"critical": "Attention", "warning": "Warning", "info": "Accent"}

func message(n sdk.Notification) Message {
	status := n.Status
	if status == "" {
		status = "triggered"
	}
	color, ok := colors[n.Severity]
	if !ok {
		color = "Default"
	}
	if status == "resolved" {
		color = "Good"
	}
	body := []Element{{Type: "TextBlock", Text: truncate(strings.ToUpper(status[:1])+status[1:]+": "+n.Title, 512),
		Size: "Large", Weight: "Bolder", Color: color, Wrap: true}}
	if n.Message != "" && n.Message != n.Title {
		body = append(body, Element{Type: "TextBlock", Text: truncate(n.Message, maxText), Wrap: true})
	}
	var facts []Fact
	add := func(title, value string) {
		if value != "" {
			facts = append(facts, Fact{Title: title, Value: truncate(value, 256)})
		}
	}
	add("Severity", n.Severity)
	add("Status", status)
	if n.DeviceName != "" {
		add("Device", n.DeviceName)
	} else {
		add("Device", n.DeviceID)
	}
	if !n.OccurredAt.IsZero() {
		add("Occurred", n.OccurredAt.UTC().Format(time.RFC3339))
	}
	add("Condition", n.Labels["kind"])
	body = append(body, Element{Type: "FactSet", Facts: facts})
	card := Card{Schema: cardSchema, Type: "AdaptiveCard", Version: "1.4", Body: body, MSTeams: &MSTeams{Width: "Full"}}
	if u, err := url.Parse(n.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Open in Breeze", URL: u.String()}}
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: cardType, Content: card}}}
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
