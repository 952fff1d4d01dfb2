package agents

import (
	"context"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Decommission retires a device: its status becomes decommissioned, its
// agent token and client certificates are revoked (the next connection is
// refused) and its live link is closed. It needs devices:write over the device; doing it again is
// harmless. It returns the device as stored.
func (s *Service) Decommission(ctx context.Context, p *domain.Principal, deviceID string) (*domain.Device, error) {
	scope := p.ScopeFor(domain.PermDevicesWrite)
	d, err := s.d.Store.Devices().Get(ctx, scope, deviceID)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "device", d.ID, d.PartnerID, d.OrgID)
	now := s.d.Clock.Now()
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := tx.Presence().Mark(ctx, []domain.PresenceUpdate{{
			DeviceID: d.ID, Status: domain.DeviceDecommissioned, LastSeenAt: keepLastSeen,
		}}); err != nil {
			return fmt.Errorf("mark device decommissioned: %w", err)
		}
		if err := tx.AgentTokens().Revoke(ctx, d.ID, now); err != nil {
			return fmt.Errorf("revoke agent token: %w", err)
		}
		// Its client certificates too: a link check refuses their serials.
		if _, err := tx.DeviceCerts().RevokeDevice(ctx, d.ID, now); err != nil {
			return fmt.Errorf("revoke client certificates: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.d.Links != nil {
		s.d.Links.Close(d.ID)
	}
	prev := d.Status
	if d, err = s.d.Store.Devices().Get(ctx, scope, deviceID); err != nil {
		return nil, fmt.Errorf("reload device: %w", err)
	}
	if prev != domain.DeviceDecommissioned {
		s.d.Events.Publish(ctx, eventOf(EventDeviceDecommissioned, d, now))
	}
	return d, nil
}

// Move is the input of MoveDevice: nil fields stay as they are; GroupID ""
// takes the device out of its group. Version is the one the caller read.
type Move struct {
	SiteID  *string
	GroupID *string
	Version int64
}

// MoveDevice moves a device to another site and/or group of its
// organization. It needs devices:write over the device and over the target
// site and group. A device moving to another site leaves a group bound to
// its old site unless a group is given.
func (s *Service) MoveDevice(ctx context.Context, p *domain.Principal, deviceID string, m Move) (*domain.Device, error) {
	if m.Version <= 0 {
		return nil, domain.Invalidf("version is required: send the version you read")
	}
	scope := p.ScopeFor(domain.PermDevicesWrite)
	d, err := s.d.Store.Devices().Get(ctx, scope, deviceID)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "device", d.ID, d.PartnerID, d.OrgID)
	from := d.SiteID + "/" + d.GroupID
	if m.SiteID != nil && *m.SiteID != d.SiteID {
		if *m.SiteID == "" {
			return nil, domain.Invalidf("siteId cannot be empty: a device is always in a site")
		}
		d.SiteID = *m.SiteID
		if m.GroupID == nil && d.GroupID != "" {
			g, err := s.d.Store.DeviceGroups().Get(ctx, domain.GlobalScope(), d.GroupID)
			switch {
			case errors.Is(err, domain.ErrNotFound):
				d.GroupID = ""
			case err != nil:
				return nil, fmt.Errorf("load device group: %w", err)
			case g.SiteID != "":
				d.GroupID = "" // bound to the old site
			}
		}
	}
	if m.GroupID != nil {
		d.GroupID = *m.GroupID
	}
	d.Version = m.Version
	out, err := s.d.Store.Devices().Update(ctx, scope, d)
	if err != nil {
		return nil, err
	}
	if out.SiteID+"/"+out.GroupID != from {
		s.d.Events.Publish(ctx, eventOf(EventDeviceMoved, out, s.d.Clock.Now()))
	}
	return out, nil
}
