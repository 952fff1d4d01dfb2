package agents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// keepLastSeen, given as a PresenceUpdate's LastSeenAt, leaves the stored
// last-seen time as it is (the storage adapters treat zero so).
var keepLastSeen time.Time

// sweepBatch is how many stale devices one query returns.
const sweepBatch = 1000

// SweeperDeps configure a Sweeper.
type SweeperDeps struct {
	Store  ports.Store
	Clock  ports.Clock
	Events Events
	Logger ports.Logger
	// Interval is the agents' heartbeat interval (default 60 s). A device
	// not seen for 3× Interval goes offline; the sweep runs every Interval/2.
	Interval time.Duration
}

// HolderCheck tells whether the server node that held a device's link
// died (the relay, from the presence registry).
type HolderCheck interface {
	HolderDied(ctx context.Context, deviceID string) (bool, error)
}

// Sweeper marks offline the devices whose heartbeats stopped. Debounce
// comes from the rules themselves: a device goes offline only after 3×
// the interval without a heartbeat and back online only when it is not
// online already, so a flapping link yields no event at all unless it
// stays away for 3 intervals, and then exactly one.
//
// With a HolderCheck (WatchHolders) a device whose link was held by a node
// that died goes offline sooner: after one interval without a heartbeat
// (a killed node marks nothing offline, and its claims outlive it). A
// device that relinked elsewhere was seen at its hello and is claimed by
// its new node, so one interval is debounce enough; a link that closed on
// a live node keeps the 3-interval rule.
type Sweeper struct {
	d       SweeperDeps
	holders HolderCheck
}

// NewSweeper checks deps and fills defaults.
func NewSweeper(d SweeperDeps) (*Sweeper, error) {
	if d.Store == nil {
		return nil, errors.New("agents: SweeperDeps.Store is required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Events == nil {
		d.Events = LogEvents{Logger: d.Logger}
	}
	if d.Interval < 0 {
		return nil, errors.New("agents: negative sweeper interval")
	}
	if d.Interval == 0 {
		d.Interval = DefaultHeartbeatInterval
	}
	return &Sweeper{d: d}, nil
}

// WatchHolders makes Sweep also mark offline, after one interval, the
// online devices whose holding node died. Call it before Run.
func (s *Sweeper) WatchHolders(h HolderCheck) { s.holders = h }

// Run sweeps every Interval/2 until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(max(s.d.Interval/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("presence sweep failed; will retry", "error", err)
			}
		}
	}
}

// Sweep marks offline every online device not seen since now − 3×Interval,
// publishes one device.offline event for each, and returns how many.
// With WatchHolders it then marks offline the online devices not seen since
// now − Interval whose holding node died.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	n, err := s.markSeenBefore(ctx, now, now.Add(-3*s.d.Interval))
	if err != nil || s.holders == nil {
		return n, err
	}
	m, err := s.markOrphaned(ctx, now, now.Add(-s.d.Interval))
	return n + m, err
}

// markOrphaned marks offline the online devices last seen before cutoff
// whose holding node died (one batch a sweep: the 3× rule bounds the rest).
// A registry that does not answer leaves them to the 3× rule.
func (s *Sweeper) markOrphaned(ctx context.Context, now, cutoff time.Time) (int, error) {
	ids, err := s.d.Store.Presence().StaleOnline(ctx, cutoff, sweepBatch)
	if err != nil {
		return 0, fmt.Errorf("list unseen devices: %w", err)
	}
	var updates []domain.PresenceUpdate
	for _, id := range ids {
		died, err := s.holders.HolderDied(ctx, id)
		if err != nil {
			s.d.Logger.Debug("presence registry unavailable; offline after 3 intervals", "error", err)
			return 0, nil
		}
		if !died {
			continue
		}
		// Read again: a hello elsewhere may have come between the list and
		// the look-up (it marks the device seen before it claims the link).
		d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), id)
		if err != nil || d.Status != domain.DeviceOnline || !d.LastSeenAt.Before(cutoff) {
			continue
		}
		updates = append(updates, domain.PresenceUpdate{DeviceID: id, Status: domain.DeviceOffline, LastSeenAt: keepLastSeen,
			IfStatus: []domain.DeviceStatus{domain.DeviceOnline}})
	}
	if len(updates) == 0 {
		return 0, nil
	}
	if err := s.d.Store.Presence().Mark(ctx, updates); err != nil {
		return 0, fmt.Errorf("mark orphaned devices offline: %w", err)
	}
	for _, u := range updates {
		s.publishOffline(ctx, u.DeviceID, now)
	}
	return len(updates), nil
}

// MarkAllOffline marks offline every device still shown online, for the
// start of a single-node deployment: no link is held before the server
// serves, so "online" is only what the last run left behind (a restart
// would otherwise show it for up to 3× Interval). A device that links
// afterwards goes online again as usual. Call it before serving.
func (s *Sweeper) MarkAllOffline(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	// Far ahead, so a last-seen time that a skewed agent clock put in the
	// future counts too.
	return s.markSeenBefore(ctx, now, now.AddDate(100, 0, 0))
}

// markSeenBefore marks offline the online devices last seen before cutoff.
func (s *Sweeper) markSeenBefore(ctx context.Context, now, cutoff time.Time) (int, error) {
	total := 0
	for {
		ids, err := s.d.Store.Presence().StaleOnline(ctx, cutoff, sweepBatch)
		if err != nil {
			return total, fmt.Errorf("list stale devices: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		updates := make([]domain.PresenceUpdate, len(ids))
		for i, id := range ids {
			// Going offline is no sighting: last seen stays as it was.
			updates[i] = domain.PresenceUpdate{DeviceID: id, Status: domain.DeviceOffline, LastSeenAt: keepLastSeen,
				IfStatus: []domain.DeviceStatus{domain.DeviceOnline}}
		}
		if err := s.d.Store.Presence().Mark(ctx, updates); err != nil {
			return total, fmt.Errorf("mark devices offline: %w", err)
		}
		for _, id := range ids {
			s.publishOffline(ctx, id, now)
		}
		total += len(ids)
		if len(ids) < sweepBatch {
			return total, nil
		}
	}
}

func (s *Sweeper) publishOffline(ctx context.Context, id string, now time.Time) {
	d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), id)
	if err != nil {
		s.d.Logger.Warn("device went offline but cannot be read for its event", "device_id", id, "error", err)
		d = &domain.Device{ID: id}
	}
	if d.Status != domain.DeviceOffline && err == nil {
		return // a heartbeat or a decommission got there between the list and the mark
	}
	d.Status = domain.DeviceOffline
	s.d.Events.Publish(ctx, eventOf(EventDeviceOffline, d, now))
}
