package plugins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Offers is what the agent link needs: the agent-side plugins a device
// should run (core/app/agents puts them in the welcome).
type Offers interface {
	OffersFor(ctx context.Context, deviceID string) ([]protocol.PluginOffer, error)
}

var _ Offers = (*Service)(nil)

// pushTimeout bounds one change's fan-out to an org's devices.
const pushTimeout = 30 * time.Second

// ArchiveRoute is the agent route serving an offered archive.
func ArchiveRoute(deviceID, pluginID string) string {
	return "/api/v1/agents/" + deviceID + "/plugins/" + pluginID + "/archive"
}

// OffersFor lists the agent-side plugins enabled globally AND for the
// device's org, with the org's settings in clear (the agent hands them to
// the plugin; they travel over the agent's authenticated TLS link).
func (s *Service) OffersFor(ctx context.Context, deviceID string) ([]protocol.PluginOffer, error) {
	dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		return nil, err
	}
	return s.OffersForOrg(ctx, dev.OrgID, deviceID)
}

// OffersForOrg is OffersFor for a device whose org the caller has read.
func (s *Service) OffersForOrg(ctx context.Context, orgID, deviceID string) ([]protocol.PluginOffer, error) {
	rows, err := s.d.Store.Plugins().OrgPlugins(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []protocol.PluginOffer{}
	for _, o := range rows {
		if !o.Enabled {
			continue
		}
		p, err := s.d.Store.Plugins().Get(ctx, o.PluginID)
		if err != nil {
			if domainNotFound(err) {
				continue // removed meanwhile
			}
			return nil, err
		}
		if !p.Enabled || p.Side != ports.PluginSideAgent || !s.mayRun(p) {
			continue
		}
		m, err := s.d.Packages.Parse(p.Manifest)
		if err != nil {
			return nil, fmt.Errorf("plugins: stored manifest of %s: %w", p.ID, err)
		}
		settings, err := s.openJSON(m, o)
		if err != nil {
			return nil, err
		}
		offer := protocol.PluginOffer{
			ID: p.ID, Version: p.Version, Kind: p.Kind, SHA256: p.ArchiveSHA, Size: p.ArchiveSize,
			ArchivePath: ArchiveRoute(deviceID, p.ID), Settings: settings,
		}
		if p.InstalledBy == DevInstaller {
			offer.Source = SourceDev
		}
		out = append(out, offer)
	}
	return out, nil
}

// Archive opens the archive of a plugin offered to the device (ErrNotFound
// for anything not offered to it). The caller closes the file.
func (s *Service) Archive(ctx context.Context, deviceID, pluginID string) (*os.File, protocol.PluginOffer, error) {
	offers, err := s.OffersFor(ctx, deviceID)
	if err != nil {
		return nil, protocol.PluginOffer{}, err
	}
	for _, o := range offers {
		if o.ID != pluginID {
			continue
		}
		row, err := s.d.Store.Plugins().Get(ctx, o.ID)
		if err != nil {
			return nil, o, err
		}
		if err := s.ensureLocal(ctx, row); err != nil {
			return nil, o, err
		}
		f, err := os.Open(s.archivePath(o.ID, o.Version))
		if err != nil {
			return nil, o, fmt.Errorf("plugins: open archive: %w", err)
		}
		return f, o, nil
	}
	return nil, protocol.PluginOffer{}, domain.NotFoundf("plugin not found")
}

// enabledOrgs lists the orgs that enabled a plugin (system read).
func (s *Service) enabledOrgs(ctx context.Context, pluginID string) []string {
	rows, err := s.d.Store.Plugins().ListOrgs(ctx, domain.GlobalScope(), pluginID)
	if err != nil {
		s.d.Logger.Warn("plugin orgs unreadable: no push", "plugin_id", pluginID, "error", err)
		return nil
	}
	var out []string
	for _, o := range rows {
		if o.Enabled {
			out = append(out, o.OrgID)
		}
	}
	return out
}

// pushOrg sends the org's current offers to each of its linked devices.
// Best effort: an offline device gets them in its next welcome.
func (s *Service) pushOrg(ctx context.Context, orgID string) {
	if s.d.Agents == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout)
	defer cancel()
	base, err := s.OffersForOrg(ctx, orgID, "")
	if err != nil {
		s.d.Logger.Warn("plugin offers unreadable: no push", "org_id", orgID, "error", err)
		return
	}
	page := domain.PageRequest{Limit: 500}
	for {
		devs, err := s.d.Store.Devices().List(ctx, domain.GlobalScope(), ports.DeviceFilter{OrgID: orgID, Kind: domain.DeviceKindAgent}, page)
		if err != nil {
			s.d.Logger.Warn("org devices unreadable: push incomplete", "org_id", orgID, "error", err)
			return
		}
		for _, d := range devs.Items {
			offers := make([]protocol.PluginOffer, len(base))
			for i, o := range base {
				o.ArchivePath = ArchiveRoute(d.ID, o.ID)
				offers[i] = o
			}
			frame := protocol.Plugins{Header: protocol.Header{Type: protocol.TypePlugins}, Plugins: offers}
			_ = s.d.Agents.ToAgent(ctx, d.ID, frame) // offline: the welcome carries them
		}
		if devs.NextCursor == "" {
			return
		}
		page.Cursor = devs.NextCursor
	}
}

func domainNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
