package plugins

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// Plugin dev mode on an agent: the plugin directories in Deps.DevDir are
// run unsigned next to the server's offers (a local one wins over an offer
// of the same id) and replaced when their fingerprint moves (a rebuild).
// New refuses a DevDir unless AllowUnsigned (the agent's explicit
// development switch). They are reported with Source "dev" and Unsigned.

// SourceDev is the Source of a plugin loaded from the dev directory.
const SourceDev = "dev"

// DevPollEvery is how often the dev directory is looked at.
const DevPollEvery = 2 * time.Second

// devArchivePath is the archive path of a dev offer (never fetched).
const devArchivePath = "/dev-mode"

// devOffer is one plugin directory of the dev directory, as an offer.
type devOffer struct {
	offer protocol.PluginOffer
	dir   string
}

// scanDev reads the dev directory: one offer per plugin directory whose
// manifest loads, its SHA256 the directory's fingerprint. A directory that
// cannot be read yet (no binary built) is logged once per problem.
func (m *Manager) scanDev(ctx context.Context, noted map[string]string) map[string]devOffer {
	dirs, err := pack.DevDirs(m.d.DevDir)
	if err != nil {
		if noted[""] != err.Error() {
			m.log.Warn("plugin dev directory unreadable", "dir", m.d.DevDir, "error", err)
			noted[""] = err.Error()
		}
		return nil
	}
	out := map[string]devOffer{}
	for _, dir := range dirs {
		if ctx.Err() != nil {
			return out
		}
		man, _, err := manifest.Load(dir)
		var fp string
		if err == nil {
			fp, err = pack.Fingerprint(dir)
		}
		if err != nil {
			if noted[dir] != err.Error() {
				m.log.Warn("plugin dev mode: directory not loadable", "dir", dir, "error", err)
				noted[dir] = err.Error()
			}
			continue
		}
		delete(noted, dir)
		out[man.ID] = devOffer{dir: dir, offer: protocol.PluginOffer{ID: man.ID, Version: man.Version, Kind: string(man.Kind),
			SHA256: fp, ArchivePath: devArchivePath, Settings: []byte("{}")}}
	}
	return out
}

// watchDev polls the dev directory until ctx ends and kicks Run when what
// it holds changed.
func (m *Manager) watchDev(ctx context.Context) {
	noted := map[string]string{}
	tick := time.NewTicker(DevPollEvery)
	defer tick.Stop()
	for {
		found := m.scanDev(ctx, noted)
		m.offerMu.Lock()
		changed := len(found) != len(m.dev)
		for id, d := range found {
			if cur, ok := m.dev[id]; !ok || cur.offer.SHA256 != d.offer.SHA256 || cur.dir != d.dir {
				changed = true
			}
		}
		if changed {
			m.dev = found
		}
		m.offerMu.Unlock()
		if changed {
			m.log.Warn("plugin dev mode: UNSIGNED local plugins (re)loaded", "dir", m.d.DevDir, "plugins", len(found))
			select {
			case m.kick <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// withDev is offers with the dev directory's plugins, which replace an
// offer of the same id (under offerMu).
func (m *Manager) withDev(offers []protocol.PluginOffer) []protocol.PluginOffer {
	if len(m.dev) == 0 {
		return offers
	}
	out := make([]protocol.PluginOffer, 0, len(offers)+len(m.dev))
	for _, o := range offers {
		if _, local := m.dev[o.ID]; !local {
			out = append(out, o)
		}
	}
	for _, d := range m.dev {
		out = append(out, d.offer)
	}
	return out
}

// devDirOf is the directory of o when it is a dev offer (same fingerprint).
func (m *Manager) devDirOf(o protocol.PluginOffer) (string, bool) {
	m.offerMu.Lock()
	defer m.offerMu.Unlock()
	d, ok := m.dev[o.ID]
	if !ok || o.ArchivePath != devArchivePath || d.offer.SHA256 != o.SHA256 {
		return "", false
	}
	return d.dir, true
}

// packDev packs the dev directory dir unsigned into a temporary file in
// pdir, positioned at its start (what fetch returns for a server's offer).
func packDev(dir, pdir string) (*os.File, error) {
	tmp, err := os.CreateTemp(pdir, ".dev-*.tar.gz")
	if err != nil {
		return nil, fmt.Errorf("archive file: %w", err)
	}
	if _, err := pack.PackUnsigned(dir, tmp); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("pack %s: %w", filepath.Base(dir), err)
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("archive file: %w", err)
	}
	return tmp, nil
}
