package conditions

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// EventKind is what an Evented condition hears.
type EventKind uint8

// The events the ingest paths report.
const (
	// EventInventory: an inventory report was stored; Inventory is the
	// device's whole document after the report (a diff already merged).
	EventInventory EventKind = iota + 1
	// EventPluginStates: the agent reported its plugins; Plugins is the
	// whole list it runs now.
	EventPluginStates
	// EventCommand: a command reached a final status; Command is it.
	EventCommand
	// EventAsset: a discovery scan found a host new, back, gone or with
	// other ports; Asset is it (DeviceID is the device the alert belongs to).
	EventAsset
)

// Event is one ingested report of one device. The ingest path hands it
// over and never touches it again, so conditions may read it freely.
type Event struct {
	Kind      EventKind
	DeviceID  string
	At        time.Time
	Inventory *protocol.Inventory
	Plugins   []domain.PluginRunState
	Command   *domain.Command
	Asset     *domain.AssetAlert
}

// Verdict is what an Evented condition decides about one event: Open
// (with the observed value and the alert's message) when the condition
// holds, Clear when a standing alert may resolve; neither leaves things
// as they are.
type Verdict struct {
	Open, Clear bool
	Value       float64
	Message     string
}

// Evented is judged when an event of the kind it hears is ingested.
type Evented interface {
	Condition
	Hears() EventKind
	// Judge decides from ev; standing is the unresolved alert of this
	// rule on the device, nil when none.
	Judge(ev *Event, standing *domain.Alert) Verdict
	// ResolveAfter: a standing alert resolves by itself this long after
	// it opened (0: only a later event resolves it).
	ResolveAfter() time.Duration
}

// PluginRef is a condition naming a plugin: the rule API refuses it (400)
// unless that plugin is installed.
type PluginRef interface {
	PluginID() string
}
