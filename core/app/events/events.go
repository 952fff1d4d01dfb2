// Package events carries what browsers see live (device status, command
// progress, run counts) over the bus to every node, where the events
// WebSocket filters them by each user's scope.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/ports"
)

// Topic is the bus topic of browser events.
const Topic = "events"

// Event types beyond the device ones of package agents.
const (
	TypeCommandUpdated = "command.updated"
	TypeRunUpdated     = "run.updated"
)

// Event is one browser event, as sent on the events WebSocket.
type Event struct {
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	PartnerID string          `json:"partnerId"`
	OrgID     string          `json:"orgId"`
	SiteID    string          `json:"siteId,omitempty"`
	DeviceID  string          `json:"deviceId,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// Publisher publishes events on the bus. Publishing never fails the work
// that caused it: an event lost is logged (browsers refetch on reconnect).
type Publisher struct {
	Bus    ports.Bus
	Logger ports.Logger
}

// Publish sends e to every node.
func (p *Publisher) Publish(ctx context.Context, e Event) {
	if p == nil || p.Bus == nil {
		return
	}
	raw, err := json.Marshal(e)
	if err == nil {
		err = p.Bus.Publish(ctx, Topic, raw)
	}
	if err != nil && p.Logger != nil {
		p.Logger.Warn("event not published", "type", e.Type, "error", err)
	}
}

// PublishData is Publish with data encoded from v.
func (p *Publisher) PublishData(ctx context.Context, e Event, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		if p != nil && p.Logger != nil {
			p.Logger.Warn("event data not encodable", "type", e.Type, "error", err)
		}
		return
	}
	e.Data = raw
	p.Publish(ctx, e)
}

// Decode parses an event from the bus.
func Decode(raw []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("events: decode: %w", err)
	}
	return e, nil
}

// DeviceEvents adapts the Publisher to agents.Events (device status
// changes), still logging them through Next when set.
type DeviceEvents struct {
	Publisher *Publisher
	Next      agents.Events
}

// Publish implements agents.Events.
func (d DeviceEvents) Publish(ctx context.Context, e agents.Event) {
	if d.Next != nil {
		d.Next.Publish(ctx, e)
	}
	d.Publisher.PublishData(ctx, Event{
		Type: e.Type, At: e.At, PartnerID: e.PartnerID, OrgID: e.OrgID, SiteID: e.SiteID, DeviceID: e.DeviceID,
	}, struct {
		Hostname string `json:"hostname"`
		Status   string `json:"status"`
	}{e.Hostname, string(e.Status)})
}
