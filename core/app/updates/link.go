package updates

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// BinaryRoute is the agent route of a build.
func BinaryRoute(deviceID, releaseID string) string {
	return "/api/v1/agents/" + deviceID + "/update/" + releaseID + "/binary"
}

// send sends dev the offer of r; false when the device is not linked or
// has no build for its platform.
func (s *Service) send(ctx context.Context, r *domain.Rollout, dev *domain.Device, builds map[string]*domain.AgentRelease) bool {
	rel := builds[dev.OS+"/"+dev.Arch]
	if rel == nil {
		return false
	}
	o := protocol.UpdateOffer{Header: protocol.Header{Type: protocol.TypeUpdate}, RolloutID: r.ID, Version: rel.Version,
		OS: rel.OS, Arch: rel.Arch, SHA256: rel.SHA256, Size: rel.Size, Signature: rel.Signature,
		BinaryPath: BinaryRoute(dev.ID, rel.ID), AllowDowngrade: r.AllowDowngrade, TrialSeconds: r.TrialSeconds}
	return s.d.Agents.ToAgent(ctx, dev.ID, o) == nil // offline: offered at its link-up
}

// offered records that the devices got the offer of r (pending or offered
// before; a device that answered meanwhile keeps its answer), in one
// transaction.
func (s *Service) offered(ctx context.Context, r *domain.Rollout, deviceIDs []string, now time.Time) error {
	if len(deviceIDs) == 0 {
		return nil
	}
	from := []string{domain.DeviceUpdatePending, domain.DeviceUpdateOffered}
	return s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		for _, id := range deviceIDs {
			at := now
			u := domain.DeviceUpdate{RolloutID: r.ID, DeviceID: id, State: domain.DeviceUpdateOffered, OfferedAt: &at, UpdatedAt: now}
			if _, err := tx.Updates().SetDeviceUpdate(ctx, u, from); err != nil {
				return err
			}
		}
		return nil
	})
}

// OnLinkUp runs when an agent links to this node: a device of a running
// rollout that linked on the target version is done; one still due its
// offer gets it now.
func (s *Service) OnLinkUp(ctx context.Context, deviceID string) {
	if err := s.linkUp(ctx, deviceID); err != nil {
		s.d.Logger.Warn("update state at link-up not handled", "device_id", deviceID, "error", err)
	}
}

func (s *Service) linkUp(ctx context.Context, deviceID string) error {
	u, err := s.d.Store.Updates().LatestDeviceUpdate(ctx, deviceID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil || domain.DeviceUpdateTerminal(u.State) {
		return err
	}
	r, err := s.d.Store.Updates().GetRollout(ctx, u.RolloutID)
	if err != nil || r.Terminal() {
		return err
	}
	dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now().UTC()
	if dev.AgentVersion == r.Version {
		_, err := s.d.Store.Updates().SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: deviceID,
			State: domain.DeviceUpdateLinked, UpdatedAt: now}, []string{domain.DeviceUpdatePending, domain.DeviceUpdateOffered,
			domain.DeviceUpdateDownloading, domain.DeviceUpdateInstalled})
		return err
	}
	// Installed but linked on another version: the agent rolled back and
	// says so itself (update_result). Pending or offered: offer now.
	if r.State != domain.RolloutActive || (u.State != domain.DeviceUpdatePending && u.State != domain.DeviceUpdateOffered) {
		return nil
	}
	// Pending or offered: offer (again: the last one may have been lost
	// with the link).
	builds, err := s.builds(ctx, r.Version)
	if err != nil {
		return err
	}
	if !s.send(ctx, r, dev, builds) {
		return nil
	}
	return s.offered(ctx, r, []string{deviceID}, now)
}

// resultStates maps an agent's report to the device state and the states
// it may move from.
var resultStates = map[string]string{
	protocol.UpdateDownloading: domain.DeviceUpdateDownloading,
	protocol.UpdateInstalled:   domain.DeviceUpdateInstalled,
	protocol.UpdateLinked:      domain.DeviceUpdateLinked,
	protocol.UpdateFailed:      domain.DeviceUpdateFailed,
	protocol.UpdateRolledBack:  domain.DeviceUpdateRolledBack,
}

// FromAgent serves update_result frames (the remote router's handler for
// protocol.TypeUpdateResult): the device's state in the rollout named,
// never another device's.
func (s *Service) FromAgent(ctx context.Context, deviceID, _ string, raw []byte) error {
	var m protocol.UpdateResult
	if err := json.Unmarshal(raw, &m); err != nil {
		return domain.Invalidf("malformed update_result: %v", err)
	}
	state, ok := resultStates[m.State]
	if !ok {
		return domain.Invalidf("unknown update state %q", protocol.Abbrev(m.State, 32))
	}
	if !domain.ValidID(m.RolloutID) {
		return nil // not ours (a stale or hand-made report)
	}
	r, err := s.d.Store.Updates().GetRollout(ctx, m.RolloutID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if state == domain.DeviceUpdateLinked && m.Running != r.Version {
		return nil // only running the target counts
	}
	from := []string{domain.DeviceUpdatePending, domain.DeviceUpdateOffered, domain.DeviceUpdateDownloading, domain.DeviceUpdateInstalled}
	if state == domain.DeviceUpdateRolledBack {
		from = append(from, domain.DeviceUpdateLinked) // a late rollback report wins over a quick link
	}
	ok, err = s.d.Store.Updates().SetDeviceUpdate(ctx, domain.DeviceUpdate{RolloutID: r.ID, DeviceID: deviceID, State: state,
		Error: protocol.Clip(m.Error, protocol.MaxUpdateError), UpdatedAt: s.d.Clock.Now().UTC()}, from)
	if err == nil && ok && (state == domain.DeviceUpdateFailed || state == domain.DeviceUpdateRolledBack) {
		s.d.Logger.Warn("agent update failed", "device_id", deviceID, "rollout", r.ID, "state", state, "error", protocol.Clip(m.Error, 300))
	}
	return err
}
