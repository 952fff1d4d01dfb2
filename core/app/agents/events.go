package agents

import (
	"context"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Event types of device status changes.
const (
	EventDeviceEnrolled       = "device.enrolled"
	EventDeviceOnline         = "device.online"
	EventDeviceOffline        = "device.offline"
	EventDeviceDecommissioned = "device.decommissioned"
	EventDeviceMoved          = "device.moved"
)

// Event is a device status change, for browsers and alerting.
type Event struct {
	Type      string
	DeviceID  string
	PartnerID string
	OrgID     string
	SiteID    string
	Hostname  string
	Status    domain.DeviceStatus
	At        time.Time
}

// Events publishes device events. The bus (remote-work issue) will
// implement it; until then LogEvents writes them to the log. Publish must
// not block for long: it is called from the link and the sweeper.
type Events interface {
	Publish(ctx context.Context, e Event)
}

// eventOf describes d for an event of type typ at at.
func eventOf(typ string, d *domain.Device, at time.Time) Event {
	return Event{Type: typ, DeviceID: d.ID, PartnerID: d.PartnerID, OrgID: d.OrgID, SiteID: d.SiteID,
		Hostname: d.Hostname, Status: d.Status, At: at.UTC()}
}

// LogEvents logs each event: presence changes at Debug (a restart brings
// thousands of them), the rest at Info. A nil Logger drops them.
type LogEvents struct{ Logger ports.Logger }

// Publish implements Events.
func (l LogEvents) Publish(_ context.Context, e Event) {
	if l.Logger == nil {
		return
	}
	log := l.Logger.Info
	if e.Type == EventDeviceOnline || e.Type == EventDeviceOffline {
		log = l.Logger.Debug
	}
	log("device event", "type", e.Type, "device_id", e.DeviceID, "org_id", e.OrgID,
		"hostname", e.Hostname, "status", string(e.Status))
}

// RecordEvents keeps every event in memory (tests, and the dashboard's
// development server). Safe for concurrent use.
type RecordEvents struct {
	mu     sync.Mutex
	events []Event
}

// Publish implements Events.
func (r *RecordEvents) Publish(_ context.Context, e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of what was published, optionally only of type typ
// and device id ("" matches all).
func (r *RecordEvents) Events(typ, deviceID string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if (typ == "" || e.Type == typ) && (deviceID == "" || e.DeviceID == deviceID) {
			out = append(out, e)
		}
	}
	return out
}
