package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breeze-rmm/breeze/ports"
)

// ensureLocal makes sure this node holds the installed version's files:
// a plugin installed through another node is fetched from the store (its
// archive is kept there), checked against the recorded archive hash,
// verified again by Packages (signature, every file's hash, safe paths)
// and its executable checked against the hash recorded at install, before
// it is moved into place. Nothing runs from a half-written directory.
func (s *Service) ensureLocal(ctx context.Context, row *ports.InstalledPlugin) error {
	s.localMu.Lock()
	defer s.localMu.Unlock()
	final := s.versionDir(row.ID, row.Version)
	if _, err := os.Stat(filepath.Join(final, "archive.tar.gz")); err == nil {
		return nil
	}
	data, err := s.d.Store.Plugins().Archive(ctx, row.ID, row.Version)
	if err != nil {
		return fmt.Errorf("plugins: %s %s is not on this node and its archive is not in the database: %w", row.ID, row.Version, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != row.ArchiveSHA {
		return fmt.Errorf("plugins: the stored archive of %s %s does not match its recorded hash", row.ID, row.Version)
	}
	if err := os.MkdirAll(s.Root(), 0o700); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	staging := filepath.Join(s.Root(), ".staging-"+randomName())
	defer os.RemoveAll(staging)
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	archive := filepath.Join(staging, "archive.tar.gz")
	if err := os.WriteFile(archive, data, 0o600); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	up, err := s.d.Packages.Unpack(ctx, archive, filepath.Join(staging, "root"))
	if err != nil {
		return fmt.Errorf("plugins: %s %s refused on this node: %w", row.ID, row.Version, err)
	}
	if up.Manifest.ID != row.ID || up.Manifest.Version != row.Version {
		return fmt.Errorf("plugins: the stored archive of %s %s holds %s %s", row.ID, row.Version, up.Manifest.ID, up.Manifest.Version)
	}
	if row.ExecSHA != "" {
		got, err := hashFile(filepath.Join(staging, "root", filepath.FromSlash(up.Manifest.Exec)))
		if err != nil || got != row.ExecSHA {
			return fmt.Errorf("plugins: the executable of %s %s on this node does not match the one installed", row.ID, row.Version)
		}
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	_ = os.RemoveAll(final)
	if err := os.Rename(staging, final); err != nil {
		return fmt.Errorf("plugins: move into place: %w", err)
	}
	s.d.Logger.Info("plugin unpacked on this node from the database", "plugin_id", row.ID, "version", row.Version)
	return nil
}

// changed tells the other nodes (best effort; they also reconcile
// periodically). orgs are those whose agent offers changed: passed on only
// when this process could not push them itself (no Agents: the CLI).
func (s *Service) changed(ctx context.Context, orgs []string) {
	if s.d.Changes == nil {
		return
	}
	if s.d.Agents != nil {
		orgs = nil
	}
	s.d.Changes.PluginsChanged(context.WithoutCancel(ctx), orgs)
}

// PushOrgs sends the current offers to the linked devices of orgs (a
// change announced by a process without agent links, the CLI).
func (s *Service) PushOrgs(ctx context.Context, orgs []string) {
	for _, org := range orgs {
		s.pushOrg(ctx, org)
	}
}

// Revision is a fingerprint of the installed plugins and their global
// switches: a node that sees it change reconciles (the announcement of a
// process that cannot reach the bus, the CLI against a single node).
func (s *Service) Revision(ctx context.Context) (string, error) {
	rows, err := s.d.Store.Plugins().List(ctx)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintf(h, "%s\x00%s\x00%t\x00%s\n", r.ID, r.Version, r.Enabled, r.ArchiveSHA)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reconcile brings this node's server-side plugins in line with the
// database: enabled ones run at their installed version (fetched from the
// store when another node installed them), disabled and removed ones are
// stopped, and files of versions no longer installed are removed. Other
// nodes' installs, upgrades, switches and removals reach a node this way.
func (s *Service) Reconcile(ctx context.Context) error {
	if s.d.Runtime == nil {
		return nil
	}
	s.mu.Lock() // never between an install's move into place and its row
	defer s.mu.Unlock()
	rows, err := s.d.Store.Plugins().List(ctx)
	if err != nil {
		return fmt.Errorf("plugins: reconcile: %w", err)
	}
	running := s.d.Runtime.Running()
	want := map[string]bool{}
	var errs []error
	for _, r := range rows {
		if !r.Enabled || r.Side != ports.PluginSideServer || !s.mayRun(r) {
			continue // an unsigned plugin not allowed to run is stopped below
		}
		want[r.ID] = true
		if running[r.ID] == r.Version {
			continue
		}
		s.startRow(ctx, r)
		if st, ok := s.d.Runtime.Status(r.ID); ok && st.State == "failed" {
			errs = append(errs, fmt.Errorf("%s: %s", r.ID, st.LastError))
		}
	}
	for id := range running {
		if !want[id] {
			if err := s.d.Runtime.Stop(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.pruneFiles(rows)
	return errors.Join(errs...)
}

// pruneFiles removes the directories of plugins and versions no longer
// installed.
func (s *Service) pruneFiles(rows []*ports.InstalledPlugin) {
	installed := map[string]string{}
	for _, r := range rows {
		installed[r.ID] = r.Version
	}
	ids, err := os.ReadDir(s.Root())
	if err != nil {
		return
	}
	for _, d := range ids {
		if !d.IsDir() || d.Name()[0] == '.' {
			continue
		}
		version, ok := installed[d.Name()]
		if !ok {
			_ = os.RemoveAll(s.pluginDir(d.Name()))
			continue
		}
		versions, _ := os.ReadDir(s.pluginDir(d.Name()))
		for _, v := range versions {
			if v.Name() != version {
				_ = os.RemoveAll(filepath.Join(s.pluginDir(d.Name()), v.Name()))
			}
		}
	}
}
