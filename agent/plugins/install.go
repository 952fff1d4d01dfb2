package plugins

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// installed is a verified plugin on disk.
type installed struct {
	dir    string // <root>/<id>/<version>
	exec   string // absolute path of this platform's executable inside dir
	sha256 []byte // its pinned hash (from the verified manifest)
	keyID  string // "" when unsigned and allowed
	m      *manifest.Manifest
}

// ErrNoTrustedKeys: the agent trusts no key and is not in development mode.
var ErrNoTrustedKeys = errors.New("no plugin trusted keys configured (pluginTrustedKeys); refusing plugins")

// refusal marks an install failure that retrying the same offer cannot fix
// (tampered, unsigned, untrusted, wrong platform...).
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(err error) error { return &refusal{err: err} }

func isRefusal(err error) bool {
	var r *refusal
	return errors.As(err, &r)
}

// install puts o's archive, verified, at <root>/<id>/<version>: it reuses
// what an earlier run installed from the same archive (verified again),
// else downloads, unpacks into a private temporary directory, verifies
// there and renames into place.
func (m *Manager) install(ctx context.Context, o protocol.PluginOffer) (*installed, error) {
	trusted := m.trustedKeys()
	if len(trusted) == 0 && !m.d.AllowUnsigned {
		return nil, refuse(ErrNoTrustedKeys)
	}
	pdir := filepath.Join(m.root, o.ID)
	if err := mkPrivate(m.root, pdir); err != nil {
		return nil, err
	}
	vdir, marker := filepath.Join(pdir, o.Version), filepath.Join(pdir, o.Version+".sha256")
	if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == o.SHA256 {
		if res, err := pack.Verify(vdir, trusted, m.verifyOpts()); err == nil {
			if inst, err := m.accept(o, vdir, res); err == nil {
				return inst, nil
			}
		}
		m.log.Warn("installed plugin no longer verifies; downloading it again", "plugin_id", o.ID, "version", o.Version)
	}
	_ = os.Remove(marker)
	if err := os.RemoveAll(vdir); err != nil {
		return nil, fmt.Errorf("clear %s: %w", vdir, err)
	}

	var (
		file    *os.File
		refused bool
		err     error
	)
	if dir, ok := m.devDirOf(o); ok {
		file, err = packDev(dir, pdir) // plugin dev mode: packed here, never fetched
		refused = err != nil
	} else {
		file, refused, err = m.fetch.fetch(ctx, o, pdir)
	}
	if err != nil {
		if refused {
			return nil, refuse(err)
		}
		return nil, err
	}
	defer func() {
		_ = file.Close()
		_ = os.Remove(file.Name())
	}()
	tmp, err := os.MkdirTemp(pdir, ".unpack-*") // 0700
	if err != nil {
		return nil, fmt.Errorf("unpack directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, "p")
	lim := pack.Limits{MaxFileSize: 4 * m.d.MaxArchive, MaxTotalSize: 8 * m.d.MaxArchive}
	res, err := pack.UnpackVerified(file, dest, trusted, m.verifyOpts(), lim)
	if err != nil {
		return nil, refuse(err)
	}
	if _, err := m.accept(o, dest, res); err != nil {
		return nil, err
	}
	if err := os.Rename(dest, vdir); err != nil {
		return nil, fmt.Errorf("install %s: %w", vdir, err)
	}
	if err := os.Chmod(vdir, 0o700); err != nil {
		return nil, fmt.Errorf("install %s: %w", vdir, err)
	}
	if err := os.WriteFile(marker, []byte(o.SHA256+"\n"), 0o600); err != nil {
		m.log.Warn("cannot record the installed archive; it will be downloaded again next start", "error", err)
	}
	return m.accept(o, vdir, res)
}

// accept checks the verified manifest against the offer and picks this
// platform's executable.
func (m *Manager) accept(o protocol.PluginOffer, dir string, res *pack.Result) (*installed, error) {
	man := res.Manifest
	if man.ID != o.ID || man.Version != o.Version || string(man.Kind) != o.Kind {
		return nil, refuse(fmt.Errorf("archive holds %s %s (%s), offered as %s %s (%s)", man.ID, man.Version, man.Kind, o.ID, o.Version, o.Kind))
	}
	if man.MinHostVersion != "" {
		if c, err := manifest.CompareVersions(m.d.AgentVersion, man.MinHostVersion); err == nil && c < 0 {
			return nil, refuse(fmt.Errorf("plugin needs agent %s or later (this is %s)", man.MinHostVersion, m.d.AgentVersion))
		}
	}
	plat := manifest.Platform()
	exe, ok := man.Executables[plat]
	if !ok {
		return nil, refuse(fmt.Errorf("plugin has no executable for %s", plat))
	}
	sum, err := hex.DecodeString(exe.SHA256)
	if err != nil || len(sum) != 32 {
		return nil, refuse(fmt.Errorf("executable for %s has no valid sha256", plat))
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(exe.Path)))
	if err != nil {
		return nil, err
	}
	return &installed{dir: dir, exec: abs, sha256: sum, keyID: res.KeyID, m: man}, nil
}

func (m *Manager) verifyOpts() pack.VerifyOptions {
	return pack.VerifyOptions{AllowUnsigned: m.d.AllowUnsigned}
}

// mkPrivate creates dirs (0700) and tightens them if they existed.
func mkPrivate(dirs ...string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("plugin directory: %w", err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("plugin directory: %w", err)
		}
	}
	return nil
}

// gc removes what no wanted plugin uses: other ids, other versions,
// leftovers of interrupted downloads.
func (m *Manager) gc(wanted map[string]string) {
	gcKV(m.d.StateDir, wanted, time.Now())
	ids, err := os.ReadDir(m.root)
	if err != nil {
		return
	}
	for _, id := range ids {
		path := filepath.Join(m.root, id.Name())
		version, ok := wanted[id.Name()]
		if !ok {
			m.removeAll(path)
			continue
		}
		entries, _ := os.ReadDir(path)
		for _, e := range entries {
			if e.Name() != version && e.Name() != version+".sha256" {
				m.removeAll(filepath.Join(path, e.Name()))
			}
		}
	}
}

func (m *Manager) removeAll(path string) {
	if err := os.RemoveAll(path); err != nil {
		m.log.Warn("cannot remove old plugin files", "path", path, "error", err)
	}
}
