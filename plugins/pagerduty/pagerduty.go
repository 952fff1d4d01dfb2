package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// DefaultEventsURL is PagerDuty's Events API v2 endpoint.
const DefaultEventsURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDuty is the alert channel. Like every server-side plugin it reaches
// PagerDuty only through the host's egress (sdk.PostJSON).
type PagerDuty struct {
	sdk.HostRef
	post sdk.PostOptions
}

// New returns a PagerDuty channel with the SDK's delivery budget for
// alert channels (sdk.ChannelPostOptions).
func New() *PagerDuty {
	return &PagerDuty{post: sdk.ChannelPostOptions()}
}

func (p *PagerDuty) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "pagerduty", Version: version, Description: "PagerDuty Events API v2 incidents, one per alert"}, nil
}

type settings struct {
	RoutingKey string `json:"routingKey"`
	EventsURL  string `json:"eventsUrl"`
}

func parseSettings(raw json.RawMessage) (settings, error) {
	st := settings{EventsURL: DefaultEventsURL}
	if len(raw) == 0 {
		return st, sdk.Invalidf("no settings")
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, sdk.Invalidf("settings: %v", err)
	}
	if st.RoutingKey == "" || len(st.RoutingKey) > 64 || strings.ContainsFunc(st.RoutingKey, unicode.IsSpace) {
		return st, sdk.Invalidf("routingKey: want the integration key of an Events API v2 integration")
	}
	u, err := url.Parse(st.EventsURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return st, sdk.Invalidf("eventsUrl %q: want an absolute http(s) URL", st.EventsURL)
	}
	return st, nil
}

// Event is an Events API v2 alert event. Acknowledge and resolve events
// carry only the routing key, the action and the dedup key.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered alert.
type Payload struct {
	Summary       string         `json:"summary"` // at most 1024 characters
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning, info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// ChangeEvent is an Events API v2 change event: what Test sends, because
// it checks the routing key without paging anyone.
type ChangeEvent struct {
	RoutingKey string        `json:"routing_key"`
	Payload    ChangePayload `json:"payload"`
}

// ChangePayload describes a change event.
type ChangePayload struct {
	Summary   string `json:"summary"`
	Source    string `json:"source"`
	Timestamp string `json:"timestamp"`
}

const (
	maxSummary  = 1024
	maxDedupKey = 255
)

// actions maps Breeze's transitions to event actions.
var actions = map[string]string{"": "trigger", "triggered": "trigger", "acknowledged": "acknowledge", "resolved": "resolve"}

// severities maps Breeze's severities to PagerDuty's; anything else is an error.
var severities = map[string]string{"critical": "critical", "warning": "warning", "info": "info"}

// event is the Events API event for n. Its dedup_key is the Breeze alert's
// id (label alertId), not the notification's (one per transition), so the
// acknowledge and the resolve reach the incident the trigger opened.
func event(n sdk.Notification, routingKey string) (Event, error) {
	action, ok := actions[n.Status]
	if !ok {
		return Event{}, sdk.Invalidf("status %q: want triggered, acknowledged or resolved", n.Status)
	}
	dedup := n.Labels["alertId"]
	if dedup == "" {
		if action != "trigger" {
			return Event{}, sdk.Invalidf("a %s notification needs the alertId label to find its incident", n.Status)
		}
		dedup = n.ID // a one-off alert: its own incident
	}
	if dedup == "" || len(dedup) > maxDedupKey {
		return Event{}, sdk.Invalidf("dedup key: want 1..%d bytes", maxDedupKey)
	}
	ev := Event{RoutingKey: routingKey, EventAction: action, DedupKey: dedup}
	if action != "trigger" {
		return ev, nil
	}
	sev, ok := severities[n.Severity]
	if !ok {
		sev = "error"
	}
	source := n.Device()
	if source == "" {
		source = "breeze"
	}
	at := n.OccurredAt
	if at.IsZero() {
		at = time.Now()
	}
	details := map[string]any{"message": n.Message, "notificationId": n.ID, "orgId": n.OrgID}
	for k, v := range map[string]string{"deviceId": n.DeviceID, "deviceName": n.DeviceName, "url": n.URL} {
		if v != "" {
			details[k] = v
		}
	}
	if len(n.Labels) > 0 {
		details["labels"] = n.Labels
	}
	summary := n.Title
	if summary == "" {
		summary = n.Message
	}
	if summary == "" {
		summary = "Breeze alert"
	}
	ev.Payload = &Payload{
		Summary: sdk.Truncate(summary, maxSummary), Source: source, Severity: sev,
		Timestamp: at.UTC().Format(time.RFC3339Nano), Component: n.Source, Group: n.OrgID,
		Class: n.Labels["kind"], CustomDetails: details,
	}
	ev.Client = "Breeze"
	if link := n.Link(); link != "" {
		ev.ClientURL = link
		ev.Links = []Link{{Href: link, Text: "Open in Breeze"}}
	}
	return ev, nil
}

func (p *PagerDuty) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	raw, err := p.NotificationSettings(ctx, n)
	if err != nil {
		return sdk.SendResult{}, err
	}
	st, err := parseSettings(raw)
	if err != nil {
		return sdk.SendResult{}, err
	}
	ev, err := event(n, st.RoutingKey)
	if err != nil {
		return sdk.SendResult{}, err
	}
	return p.deliver(ctx, st.EventsURL, ev)
}

// Test sends a change event, which shows on the service's timeline but
// pages no one, to the change endpoint next to eventsUrl (…/v2/change/enqueue).
// An eventsUrl of another shape gets a trigger and its resolve instead.
func (p *PagerDuty) Test(ctx context.Context, raw json.RawMessage) (sdk.TestResult, error) {
	st, err := parseSettings(raw)
	if err != nil {
		return sdk.TestResult{OK: false, Detail: err.Error()}, nil
	}
	now := time.Now().UTC()
	var res sdk.SendResult
	if base, ok := strings.CutSuffix(st.EventsURL, "/v2/enqueue"); ok {
		res, err = p.deliver(ctx, base+"/v2/change/enqueue", ChangeEvent{RoutingKey: st.RoutingKey,
			Payload: ChangePayload{Summary: "Breeze test: the PagerDuty channel works", Source: "breeze", Timestamp: now.Format(time.RFC3339)}})
	} else {
		key := "breeze-test-" + strconv.FormatInt(now.UnixNano(), 36)
		n := sdk.Notification{ID: key, Severity: "info", Status: "triggered", Title: "Breeze test notification", OccurredAt: now}
		ev, _ := event(n, st.RoutingKey)
		if res, err = p.deliver(ctx, st.EventsURL, ev); err == nil && res.Delivered {
			ev = Event{RoutingKey: st.RoutingKey, EventAction: "resolve", DedupKey: key}
			res, err = p.deliver(ctx, st.EventsURL, ev)
		}
	}
	if err != nil {
		return sdk.TestResult{}, err
	}
	return sdk.TestResult{OK: res.Delivered, Detail: res.Detail}, nil
}

// answer is the Events API's reply body.
type answer struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Errors  []string `json:"errors"`
}

// deliver posts one event: 202 is delivered; 400 (an invalid event) is
// final and shows PagerDuty's message; 429 and 5xx are tried again.
func (p *PagerDuty) deliver(ctx context.Context, url string, ev any) (sdk.SendResult, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return sdk.SendResult{}, fmt.Errorf("encode event: %w", err)
	}
	o := p.post
	o.Header = map[string][]string{"User-Agent": {"breeze-pagerduty/" + version}}
	res, err := sdk.PostJSON(ctx, p.Host(), url, body, o)
	if err != nil {
		return res.SendResult, err
	}
	if res.Delivered && res.StatusCode != 202 {
		// The Events API accepts with 202 only; another 2xx is not PagerDuty.
		res.Delivered, res.Detail = false, res.Detail+" (want 202 Accepted)"
	}
	if res.StatusCode == 400 {
		var a answer
		if json.Unmarshal(res.Body, &a) == nil && a.Message != "" {
			msg := a.Message
			if len(a.Errors) > 0 {
				msg += ": " + strings.Join(a.Errors, "; ")
			}
			res.Detail += ": " + clean(msg, 300)
		}
	}
	return res.SendResult, nil
}

// clean keeps an answer's text printable and short.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return sdk.Truncate(s, n)
}
