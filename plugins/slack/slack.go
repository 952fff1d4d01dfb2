package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// Slack is the alert channel. Like every server-side plugin it reaches
// Slack only through the host's egress (sdk.PostJSON over sdk.HTTPClient).
type Slack struct {
	post sdk.PostOptions // tries, backoff and per-try timeout

	mu   sync.Mutex
	host sdk.Host
}

// New returns a Slack channel with production defaults: three tries of at
// most 4 s each, so a Send ends within the host's 15 s attempt budget.
func New() *Slack {
	return &Slack{post: sdk.PostOptions{Attempts: 3, Backoff: 500 * time.Millisecond, Timeout: 4 * time.Second}}
}

func (s *Slack) SetHost(h sdk.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host = h
}

func (s *Slack) getHost() sdk.Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

func (s *Slack) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "slack", Version: version, Description: "Posts alerts to a Slack incoming webhook"}, nil
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

func (s *Slack) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw := n.Settings
	if len(raw) == 0 {
		h := s.getHost()
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
	return s.deliver(ctx, st, message(n))
}

func (s *Slack) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	st, err := parseSettings(raw)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	m := message(sdk.Notification{Severity: "info", Status: "triggered", Title: "Breeze test notification",
		Message: "If you can read this, the Slack channel works.", OccurredAt: time.Now().UTC()})
	res, err := s.deliver(ctx, st, m)
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

func (s *Slack) deliver(ctx context.Context, st settings, m Message) (sdk.SendResult, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return sdk.SendResult{}, fmt.Errorf("encode message: %w", err)
	}
	o := s.post
	o.Header = map[string][]string{"User-Agent": {"breeze-slack/" + version}}
	res, err := sdk.PostJSON(ctx, s.getHost(), st.WebhookURL, body, o)
	if !res.Delivered && res.StatusCode >= 400 {
		// Slack answers a failure with a short code (invalid_payload,
		// no_service, channel_is_archived): worth showing, nothing else is.
		if code := strings.TrimSpace(string(res.Body)); slackCode.MatchString(code) {
			res.Detail += ": " + code
		}
	}
	return res.SendResult, err
}

var slackCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// Message is a Slack incoming-webhook message: text is the notification
// and fallback text; the attachment carries the colour bar and the blocks.
type Message struct {
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a secondary attachment holding Block Kit blocks.
type Attachment struct {
	Color    string  `json:"color"`
	Fallback string  `json:"fallback"`
	Blocks   []Block `json:"blocks"`
}

// Block is a section (Text) or a context (Elements) block.
type Block struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text,omitempty"`
	Elements []*Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"` // mrkdwn or plain_text
	Text string `json:"text"`
}

// Colours of the attachment bar: by severity, green once resolved.
var colors = map[string]string{"critical": "#E01E5A", "warning": "#ECB22E", "info": "#36C5F0"}

const resolvedColor = "#2EB67D"

// Slack's limits: a section's text holds 3 000 characters.
const maxSection = 3000

func message(n sdk.Notification) Message {
	status := n.Status
	if status == "" {
		status = "triggered"
	}
	color, ok := colors[n.Severity]
	if !ok {
		color = colors["info"]
	}
	if status == "resolved" {
		color = resolvedColor
	}
	headline := fmt.Sprintf("%s: %s", strings.ToUpper(status[:1])+status[1:], n.Title)
	if d := deviceOf(n); d != "" {
		headline += " (" + d + ")"
	}
	body := "*" + escape(headline) + "*"
	if n.Message != "" && n.Message != n.Title {
		body += "\n" + escape(n.Message)
	}
	var facts []string
	if n.Severity != "" {
		facts = append(facts, "Severity: *"+escape(n.Severity)+"*")
	}
	facts = append(facts, "Status: *"+escape(status)+"*")
	if !n.OccurredAt.IsZero() {
		facts = append(facts, "At: "+n.OccurredAt.UTC().Format(time.RFC3339))
	}
	if link := linkTo(n.URL); link != "" {
		facts = append(facts, "<"+link+"|Open in Breeze>")
	}
	return Message{
		Text: truncate(escape(headline), maxSection),
		Attachments: []Attachment{{
			Color:    color,
			Fallback: truncate(headline, maxSection),
			Blocks: []Block{
				{Type: "section", Text: &Text{Type: "mrkdwn", Text: truncate(body, maxSection)}},
				{Type: "context", Elements: []*Text{{Type: "mrkdwn", Text: truncate(strings.Join(facts, "  ·  "), maxSection)}}},
			},
		}},
	}
}

func deviceOf(n sdk.Notification) string {
	if n.DeviceName != "" {
		return n.DeviceName
	}
	return n.DeviceID
}

// escape makes text literal in Slack's mrkdwn: &, < and > are control
// characters there (<!channel>, <url|label>), so a title cannot ping a
// channel or forge a link.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// linkTo is u when it is an absolute http(s) URL, with the characters that
// would end Slack's <url|label> syntax percent-encoded; "" otherwise.
func linkTo(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(p.String())
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
