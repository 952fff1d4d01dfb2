package updates

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// inFlight are the states of a device between the offer and its result.
var inFlight = []string{domain.DeviceUpdateOffered, domain.DeviceUpdateDownloading, domain.DeviceUpdateInstalled}

// Tick moves every running rollout on by one step and times out devices
// stuck in flight; it returns how many offers it sent.
func (s *Service) Tick(ctx context.Context) (int, error) {
	now := s.d.Clock.Now().UTC()
	if err := s.timeouts(ctx, now); err != nil {
		return 0, err
	}
	rs, err := s.d.Store.Updates().RunningRollouts(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range rs {
		n, err := s.advance(ctx, r, now)
		sent += n
		if err != nil {
			s.d.Logger.Warn("rollout step failed; the next tick retries", "rollout", r.ID, "error", err)
		}
	}
	return sent, nil
}

// timeouts fails devices in flight for longer than DeviceTimeout (an
// agent that took the offer and went silent).
func (s *Service) timeouts(ctx context.Context, now time.Time) error {
	stale, err := s.d.Store.Updates().StaleDeviceUpdates(ctx, inFlight, now.Add(-s.d.DeviceTimeout), 500)
	if err != nil {
		return err
	}
	for _, u := range stale {
		u.State, u.Error, u.UpdatedAt, u.OfferedAt = domain.DeviceUpdateFailed, "no result within "+s.d.DeviceTimeout.String(), now, nil
		if _, err := s.d.Store.Updates().SetDeviceUpdate(ctx, u, inFlight); err != nil {
			return err
		}
	}
	return nil
}

// tally counts a rollout's devices.
type tally struct {
	assigned, reached, failed, pending, flying int
}

func count(ups []domain.DeviceUpdate) tally {
	var t tally
	for _, u := range ups {
		t.assigned++
		switch u.State {
		case domain.DeviceUpdateSkipped:
			continue
		case domain.DeviceUpdatePending:
			t.pending++
			continue
		case domain.DeviceUpdateFailed, domain.DeviceUpdateRolledBack:
			t.failed++
		case domain.DeviceUpdateOffered, domain.DeviceUpdateDownloading, domain.DeviceUpdateInstalled:
			t.flying++
		}
		t.reached++
	}
	return t
}

// advance does one step of a running rollout.
func (s *Service) advance(ctx context.Context, r *domain.Rollout, now time.Time) (int, error) {
	u := s.d.Store.Updates()
	ups, err := u.DeviceUpdates(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	t := count(ups)
	if t.failed > 0 && t.failed*100 > r.FailureThreshold*t.reached {
		r.State = domain.RolloutStopped
		r.Reason = fmt.Sprintf("failures passed the threshold: %d of %d devices failed or rolled back (threshold %d %%)",
			t.failed, t.reached, r.FailureThreshold)
		_, err := u.UpdateRollout(ctx, r)
		if err == nil {
			s.d.Logger.Warn("agent rollout stopped", "rollout", r.ID, "reason", r.Reason)
		}
		return 0, err
	}
	if r.NextStageAt == nil {
		added, err := s.assign(ctx, r, len(ups), now)
		if err != nil {
			return 0, err
		}
		if added > 0 {
			if ups, err = u.DeviceUpdates(ctx, r.ID); err != nil {
				return 0, err
			}
		}
	}
	sent, err := s.offerPending(ctx, r, ups, now)
	if err != nil {
		return sent, err
	}
	t = count(ups)
	if t.flying > 0 {
		return sent, nil // the stage runs
	}
	// The stage is done (devices still pending are offline: they get the
	// offer when they link).
	last := r.Stage == len(r.Stages)-1
	switch {
	case last:
		r.State, r.NextStageAt = domain.RolloutCompleted, nil
	case r.NextStageAt == nil && r.PauseSeconds > 0:
		next := now.Add(time.Duration(r.PauseSeconds) * time.Second)
		r.NextStageAt = &next
	case r.NextStageAt == nil || !now.Before(*r.NextStageAt):
		r.Stage, r.NextStageAt = r.Stage+1, nil
	default:
		return sent, nil // pausing between stages
	}
	moved, err := u.UpdateRollout(ctx, r)
	if err != nil || !moved {
		return sent, err // another node moved it: its step stands
	}
	if r.State == domain.RolloutCompleted {
		s.d.Logger.Info("agent rollout completed", "rollout", r.ID, "version", r.Version)
		return sent, nil
	}
	if r.NextStageAt == nil {
		// The next stage starts now, not at the next tick (at most one
		// step per stage, so this recursion is bounded by the stages).
		n, err := s.advance(ctx, r, now)
		return sent + n, err
	}
	return sent, nil
}

// order is a device's stable random place in a rollout: stages take
// devices in this order, so a stage is a sample across the scope.
func order(rolloutID, deviceID string) uint64 {
	h := sha256.Sum256([]byte(rolloutID + "/" + deviceID))
	return binary.BigEndian.Uint64(h[:8])
}

// assign adds devices up to the current stage's share of the scope.
func (s *Service) assign(ctx context.Context, r *domain.Rollout, have int, now time.Time) (int, error) {
	var devs []*domain.Device
	if err := s.eachDevice(ctx, r, func(d *domain.Device) error { devs = append(devs, d); return nil }); err != nil {
		return 0, err
	}
	want := (len(devs)*r.Stages[r.Stage] + 99) / 100
	if want <= have {
		return 0, nil
	}
	sort.Slice(devs, func(i, j int) bool { return order(r.ID, devs[i].ID) < order(r.ID, devs[j].ID) })
	builds, err := s.builds(ctx, r.Version)
	if err != nil {
		return 0, err
	}
	// The first `have` in order are assigned already unless devices came
	// or went; AssignDevices skips those present, so offering the first
	// `want` is idempotent.
	list := make([]domain.DeviceUpdate, 0, want)
	for _, d := range devs[:want] {
		du := domain.DeviceUpdate{RolloutID: r.ID, DeviceID: d.ID, OrgID: d.OrgID, Stage: r.Stage,
			State: domain.DeviceUpdatePending, FromVersion: d.AgentVersion, UpdatedAt: now}
		switch {
		case d.AgentVersion == r.Version:
			du.State = domain.DeviceUpdateLinked
		case builds[d.OS+"/"+d.Arch] == nil:
			du.State, du.Error = domain.DeviceUpdateSkipped, "no build for "+d.OS+"/"+d.Arch
		}
		list = append(list, du)
	}
	return s.d.Store.Updates().AssignDevices(ctx, list)
}

// builds maps "os/arch" to the release of version.
func (s *Service) builds(ctx context.Context, version string) (map[string]*domain.AgentRelease, error) {
	rels, err := s.d.Store.Updates().ListReleases(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*domain.AgentRelease{}
	for _, rel := range rels {
		if rel.Version == version {
			out[rel.OS+"/"+rel.Arch] = rel
		}
	}
	return out, nil
}

// offerPending sends the offer to every pending device that is linked
// and records those sent in one transaction.
func (s *Service) offerPending(ctx context.Context, r *domain.Rollout, ups []domain.DeviceUpdate, now time.Time) (int, error) {
	if s.d.Agents == nil {
		return 0, nil
	}
	pending := 0
	for _, u := range ups {
		if u.State == domain.DeviceUpdatePending {
			pending++
		}
	}
	if pending == 0 {
		return 0, nil
	}
	builds, err := s.builds(ctx, r.Version)
	if err != nil {
		return 0, err
	}
	devs := make(map[string]*domain.Device, len(ups))
	if err := s.eachDevice(ctx, r, func(d *domain.Device) error { devs[d.ID] = d; return nil }); err != nil {
		return 0, err
	}
	var sent []string
	for i := range ups {
		dev := devs[ups[i].DeviceID]
		if ups[i].State != domain.DeviceUpdatePending || dev == nil {
			continue // a device that left the scope stays pending
		}
		if s.send(ctx, r, dev, builds) {
			sent = append(sent, dev.ID)
			ups[i].State = domain.DeviceUpdateOffered
		}
	}
	return len(sent), s.offered(ctx, r, sent, now)
}
