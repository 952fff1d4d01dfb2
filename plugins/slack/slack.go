package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// build is the channel's Build: the Slack message for n.
func build(n sdk.Notification) (any, error) { return message(n), nil }

// explain adds Slack's error code to a failure: Slack answers one with a
// short code (invalid_payload, no_service, channel_is_archived), worth
// showing; nothing else in its answers is.
func explain(res *sdk.PostResult) {
	if res.Delivered || res.StatusCode < 400 {
		return
	}
	if code := strings.TrimSpace(string(res.Body)); slackCode.MatchString(code) {
		res.Detail += ": " + code
	}
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
	status := n.Transition()
	color := n.Color(colors, colors["info"], resolvedColor)
	headline := fmt.Sprintf("%s: %s", strings.ToUpper(status[:1])+status[1:], n.Title)
	if d := n.Device(); d != "" {
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
	if link := slackLink(n); link != "" {
		facts = append(facts, "<"+link+"|Open in Breeze>")
	}
	return Message{
		Text: sdk.Truncate(escape(headline), maxSection),
		Attachments: []Attachment{{
			Color:    color,
			Fallback: sdk.Truncate(headline, maxSection),
			Blocks: []Block{
				{Type: "section", Text: &Text{Type: "mrkdwn", Text: sdk.Truncate(body, maxSection)}},
				{Type: "context", Elements: []*Text{{Type: "mrkdwn", Text: sdk.Truncate(strings.Join(facts, "  ·  "), maxSection)}}},
			},
		}},
	}
}

// escape makes text literal in Slack's mrkdwn: &, < and > are control
// characters there (<!channel>, <url|label>), so a title cannot ping a
// channel or forge a link.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackLink is n's link with the characters that would end Slack's
// <url|label> syntax percent-encoded.
func slackLink(n sdk.Notification) string {
	return strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(n.Link())
}
