package plugins

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// List is every installed plugin with its state (any plugins:manage holder).
func (s *Service) List(ctx context.Context) ([]*Plugin, error) {
	rows, err := s.d.Store.Plugins().List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Plugin, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.view(r))
	}
	return out, nil
}

// Get is one installed plugin.
func (s *Service) Get(ctx context.Context, id string) (*Plugin, error) {
	row, err := s.d.Store.Plugins().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.view(row), nil
}

// Enable switches a plugin on globally: a server-side one is started (a
// failed start stays visible in its state), agent-side ones are offered to
// the devices of the orgs that enabled it.
func (s *Service) Enable(ctx context.Context, sc domain.Scope, id string) (*Plugin, error) {
	return s.setEnabled(ctx, sc, id, true)
}

// Disable switches a plugin off globally (stopped, withdrawn from agents).
func (s *Service) Disable(ctx context.Context, sc domain.Scope, id string) (*Plugin, error) {
	return s.setEnabled(ctx, sc, id, false)
}

func (s *Service) setEnabled(ctx context.Context, sc domain.Scope, id string, on bool) (*Plugin, error) {
	auditResource(ctx, id, "", "")
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	row, err := s.d.Store.Plugins().SetEnabled(ctx, id, on)
	if err != nil {
		return nil, err
	}
	var orgs []string
	defer func() { s.changed(ctx, orgs) }()
	if row.Side == ports.PluginSideServer {
		if on {
			s.startRow(ctx, row)
		} else if s.d.Runtime != nil {
			if err := s.d.Runtime.Stop(ctx, id); err != nil {
				s.d.Logger.Warn("plugin stop failed", "plugin_id", id, "error", err)
			}
		}
	} else {
		orgs = s.enabledOrgs(ctx, id)
		s.PushOrgs(ctx, orgs)
	}
	return s.view(row), nil
}

// Remove stops and uninstalls a plugin: its files, org settings and
// key-value entries go with it.
func (s *Service) Remove(ctx context.Context, sc domain.Scope, id string) error {
	auditResource(ctx, id, "", "")
	if err := requireGlobal(sc); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	row, err := s.d.Store.Plugins().Get(ctx, id)
	if err != nil {
		return err
	}
	if s.d.Runtime != nil {
		if err := s.d.Runtime.Stop(ctx, id); err != nil {
			s.d.Logger.Warn("plugin stop failed", "plugin_id", id, "error", err)
		}
	}
	// The orgs to tell, read before their rows go.
	orgs := s.enabledOrgs(ctx, id)
	if err := s.d.Store.Plugins().Delete(ctx, id); err != nil {
		return err
	}
	if row.Side != ports.PluginSideAgent || !row.Enabled {
		orgs = nil
	}
	defer s.changed(ctx, orgs)
	if err := os.RemoveAll(s.pluginDir(id)); err != nil {
		s.d.Logger.Warn("plugin files not removed", "plugin_id", id, "error", err)
	}
	s.PushOrgs(ctx, orgs)
	auditOutcome(ctx, domain.OutcomeSuccess, map[string]string{"version": row.Version})
	s.d.Logger.Info("plugin removed", "plugin_id", id, "version", row.Version)
	return nil
}

// StartEnabled starts every enabled server-side plugin (server start).
// Failures are logged and visible in the plugins' state; none is fatal.
func (s *Service) StartEnabled(ctx context.Context) error {
	if s.d.Runtime == nil {
		return nil
	}
	rows, err := s.d.Store.Plugins().List(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Enabled && r.Side == ports.PluginSideServer {
			s.startRow(ctx, r)
		}
	}
	return nil
}

// Shutdown stops every supervised plugin.
func (s *Service) Shutdown(ctx context.Context) error {
	if s.d.Runtime == nil {
		return nil
	}
	return s.d.Runtime.StopAll(ctx)
}

// startRow starts (or restarts) a server-side plugin from its installed
// directory, pinned to the hash recorded at install.
func (s *Service) startRow(ctx context.Context, row *ports.InstalledPlugin) {
	if s.d.Runtime == nil {
		return
	}
	if !s.mayRun(row) {
		s.d.Logger.Warn("unsigned plugin not started", "plugin_id", row.ID, "version", row.Version, "why", unsignedStopped)
		return
	}
	err := s.ensureLocal(ctx, row)
	var spec RunSpec
	if err == nil {
		spec, err = s.runSpec(row)
	}
	if err == nil {
		err = s.d.Runtime.Start(ctx, spec)
	}
	if err != nil {
		s.d.Logger.Error("plugin did not start", "plugin_id", row.ID, "version", row.Version, "error", err)
	}
}

func (s *Service) runSpec(row *ports.InstalledPlugin) (RunSpec, error) {
	m, err := s.d.Packages.Parse(row.Manifest)
	if err != nil {
		return RunSpec{}, err
	}
	sum, err := hex.DecodeString(row.ExecSHA)
	if err != nil || len(sum) != 32 || m.Exec == "" {
		return RunSpec{}, fmt.Errorf("plugins: %s has no executable for this platform", row.ID)
	}
	return RunSpec{ID: row.ID, Version: row.Version, Kind: row.Kind, Exec: s.execPath(row.ID, row.Version, m.Exec), SHA256: sum}, nil
}

func (s *Service) pluginDir(id string) string { return filepath.Join(s.Root(), id) }

// view is the API's picture of a row, with the runtime's state.
func (s *Service) view(row *ports.InstalledPlugin) *Plugin {
	p := &Plugin{
		ID: row.ID, Name: row.Name, Version: row.Version, Kind: row.Kind, Side: row.Side,
		SignedBy: signedBy(row.SignerKeyID), Enabled: row.Enabled, InstalledAt: row.InstalledAt, SHA256: row.ArchiveSHA,
		Unsigned: row.SignerKeyID == "", Source: SourceArchive,
	}
	if row.InstalledBy == DevInstaller {
		p.Source = SourceDev
	}
	if m, err := s.d.Packages.Parse(row.Manifest); err == nil {
		p.Description, p.SettingsSchema = m.Description, m.SettingsSchema
	}
	switch {
	case !row.Enabled:
		p.State = "disabled"
	case !s.mayRun(row):
		p.State, p.LastError = "failed", unsignedStopped
	case row.Side == ports.PluginSideAgent:
		p.State = "enabled"
	default:
		p.State = "stopped"
		if s.d.Runtime != nil {
			if st, ok := s.d.Runtime.Status(row.ID); ok {
				p.State, p.LastError, p.Restarts = st.State, st.LastError, st.Restarts
			}
		}
	}
	return p
}
