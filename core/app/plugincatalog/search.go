package plugincatalog

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Result is one plugin a catalog offers, beside what is installed.
type Result struct {
	CatalogID, CatalogName string
	Entry
	Latest           Version // the newest this server can run
	Installed        string  // the installed version, "" when not installed
	UpdateAvailable  bool    // Latest is newer than Installed
	PublisherTrusted bool
}

// Search lists the plugins of every catalog whose id, name or description
// contains text (case-insensitively; "" lists all), by id then catalog.
func (s *Service) Search(ctx context.Context, sc domain.Scope, text string) ([]*Result, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	installed, err := s.installed(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.d.Store.PluginCatalogs().List(ctx)
	if err != nil {
		return nil, err
	}
	trusted, err := s.d.Trust.TrustedKeyIDs(ctx)
	if err != nil {
		return nil, err
	}
	text = strings.ToLower(strings.TrimSpace(text))
	out := []*Result{}
	for _, row := range rows {
		ix, err := s.index(row)
		if err != nil {
			s.d.Logger.Warn("plugin catalog index unreadable", "catalog", row.Name, "error", err)
			continue
		}
		if ix == nil {
			continue
		}
		for _, e := range ix.Plugins {
			if text != "" && !strings.Contains(strings.ToLower(e.ID+"\x00"+e.Name+"\x00"+e.Description), text) {
				continue
			}
			r := &Result{CatalogID: row.ID, CatalogName: row.Name, Entry: e, Latest: s.newestFor(e.Kind, e.Versions), Installed: installed[e.ID]}
			if r.Installed != "" {
				if c, err := s.d.Source.CompareVersions(r.Latest.Version, r.Installed); err == nil && c > 0 {
					r.UpdateAvailable = true
				}
			}
			r.PublisherTrusted = trusted[e.PublisherKeyID]
			out = append(out, r)
		}
	}
	sortResults(out)
	return out, nil
}

func sortResults(rs []*Result) {
	slices.SortStableFunc(rs, func(a, b *Result) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.CatalogName, b.CatalogName))
	})
}

// newestFor is the newest version this server can use: built for its
// platform when the kind runs on the server, and whose minHostVersion is
// not newer than the server's; the newest of all when none is (installing
// it then says why).
func (s *Service) newestFor(kind string, vs []Version) Version {
	for _, v := range vs {
		if s.usable(kind, v) {
			return v
		}
	}
	return vs[0]
}

// usable: v runs here. A minHostVersion that cannot be compared (a
// development build) does not stop it: the install path warns.
func (s *Service) usable(kind string, v Version) bool {
	if !s.d.Source.Usable(kind, v.Platforms) {
		return false
	}
	if v.MinHostVersion == "" || s.d.HostVersion == "" {
		return true
	}
	c, err := s.d.Source.CompareVersions(strings.TrimPrefix(s.d.HostVersion, "v"), v.MinHostVersion)
	return err != nil || c >= 0
}

// installed maps installed plugin ids to their versions.
func (s *Service) installed(ctx context.Context) (map[string]string, error) {
	ps, err := s.d.Installer.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.ID] = p.Version
	}
	return out, nil
}
