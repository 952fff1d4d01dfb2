package main

import (
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// build is the channel's Build: the Teams message for n.
func build(n sdk.Notification) (any, error) { return message(n), nil }

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
	status := n.Transition()
	color := n.Color(colors, "Default", "Good")
	body := []Element{{Type: "TextBlock", Text: sdk.Truncate(strings.ToUpper(status[:1])+status[1:]+": "+n.Title, 512),
		Size: "Large", Weight: "Bolder", Color: color, Wrap: true}}
	if n.Message != "" && n.Message != n.Title {
		body = append(body, Element{Type: "TextBlock", Text: sdk.Truncate(n.Message, maxText), Wrap: true})
	}
	var facts []Fact
	add := func(title, value string) {
		if value != "" {
			facts = append(facts, Fact{Title: title, Value: sdk.Truncate(value, 256)})
		}
	}
	add("Severity", n.Severity)
	add("Status", status)
	add("Device", n.Device())
	if !n.OccurredAt.IsZero() {
		add("Occurred", n.OccurredAt.UTC().Format(time.RFC3339))
	}
	add("Condition", n.Labels["kind"])
	body = append(body, Element{Type: "FactSet", Facts: facts})
	card := Card{Schema: cardSchema, Type: "AdaptiveCard", Version: "1.4", Body: body, MSTeams: &MSTeams{Width: "Full"}}
	if link := n.Link(); link != "" {
		card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Open in Breeze", URL: link}}
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: cardType, Content: card}}}
}
