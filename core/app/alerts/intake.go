package alerts

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/core/app/alerts/conditions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Intake takes the reports event conditions judge (inventory_fact,
// plugin_failed, command_failed, asset_new, asset_gone) from the ingest paths, the way Observe
// takes heartbeats: it never blocks and never touches the store; the
// evaluation job judges each report against the compiled rules in the
// device's scope (Service.judge). It is built before the services that
// report to it (the command pipeline exists before monitoring), and
// handed to monitoring through Deps.Intake.
//
// It implements agents.ReportObserver and the commands pipeline's
// finished-command hook.
type Intake struct {
	c       chan conditions.Event
	dropped atomic.Uint64
}

// NewIntake makes an intake holding at most size pending reports
// (DefaultQueue when size <= 0).
func NewIntake(size int) *Intake {
	if size <= 0 {
		size = DefaultQueue
	}
	return &Intake{c: make(chan conditions.Event, size)}
}

// Dropped counts reports lost to a full intake (the next report of that
// device judges again; a lost failed command is lost).
func (in *Intake) Dropped() uint64 { return in.dropped.Load() }

func (in *Intake) put(ev conditions.Event) {
	select {
	case in.c <- ev:
	default:
		in.dropped.Add(1)
	}
}

// InventoryStored hears a stored inventory report: doc is the device's
// whole document, which the caller no longer changes.
func (in *Intake) InventoryStored(_ context.Context, deviceID string, at time.Time, doc *protocol.Inventory) {
	in.put(conditions.Event{Kind: conditions.EventInventory, DeviceID: deviceID, At: at, Inventory: doc})
}

// PluginStatesStored hears the plugin states an agent reported.
func (in *Intake) PluginStatesStored(_ context.Context, deviceID string, at time.Time, states []domain.PluginRunState) {
	in.put(conditions.Event{Kind: conditions.EventPluginStates, DeviceID: deviceID, At: at, Plugins: states})
}

// CommandFinished hears a command that reached a final status.
func (in *Intake) CommandFinished(_ context.Context, c *domain.Command) {
	at := time.Now().UTC()
	if c.FinishedAt != nil {
		at = *c.FinishedAt
	}
	in.put(conditions.Event{Kind: conditions.EventCommand, DeviceID: c.DeviceID, At: at, Command: c})
}

// AssetEvents hears a discovery scan's asset events (discovery.AssetObserver).
func (in *Intake) AssetEvents(_ context.Context, events []domain.AssetAlert) {
	for i := range events {
		e := events[i]
		in.put(conditions.Event{Kind: conditions.EventAsset, DeviceID: e.DeviceID, At: e.At, Asset: &e})
	}
}
