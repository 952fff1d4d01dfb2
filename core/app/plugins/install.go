package plugins

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// InstallOptions are an install's caller and choices.
type InstallOptions struct {
	By string // the installer (user id or "cli")
	// AllowDowngrade installs a version older than the installed one,
	// keeping the org settings and key-value entries (audited as such);
	// without it a downgrade is refused.
	AllowDowngrade bool
	// Dev is plugin dev mode's load (see WatchDev): unsigned accepted, the
	// same version (a rebuild) replaces the installed one, and a plugin new
	// to the server is enabled at once.
	Dev bool
	// Expect, when set, is what the archive must hold (a catalog's entry):
	// anything else is refused as an invalid archive.
	Expect *Expected
}

// Expected is the plugin, version and signer an archive must hold.
type Expected struct {
	ID, Version, SignerKeyID string
}

// Install verifies the archive read from r and installs it (or upgrades
// the installed version).
func (s *Service) Install(ctx context.Context, sc domain.Scope, o InstallOptions, r io.Reader) (*Plugin, error) {
	auditResource(ctx, "", "", "")
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, sum, size, err := s.spool(func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(r, s.d.MaxArchive+1))
		if err != nil {
			return fmt.Errorf("plugins: read archive: %w", err)
		}
		if n > s.d.MaxArchive {
			return Refuse(ReasonTooLarge, fmt.Errorf("archive is larger than %d bytes", s.d.MaxArchive))
		}
		return nil
	})
	if err != nil {
		return nil, refused(ctx, err, "")
	}
	defer os.Remove(tmp)
	return s.install(ctx, o, tmp, sum, size)
}

// InstallDir installs a plugin directory (signed with pack.SignDir, or
// unsigned under the development switch): it is archived unchanged first,
// so agents download exactly what was verified.
func (s *Service) InstallDir(ctx context.Context, sc domain.Scope, o InstallOptions, dir string) (*Plugin, error) {
	auditResource(ctx, "", "", "")
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, sum, size, err := s.spool(func(w io.Writer) error { return s.d.Packages.ArchiveDir(ctx, dir, w) })
	if err != nil {
		return nil, refused(ctx, err, "")
	}
	defer os.Remove(tmp)
	return s.install(ctx, o, tmp, sum, size)
}

// spool writes an archive into a temp file under Root, hashing it.
func (s *Service) spool(write func(io.Writer) error) (path string, sum string, size int64, err error) {
	if err := os.MkdirAll(s.Root(), 0o700); err != nil {
		return "", "", 0, fmt.Errorf("plugins: %w", err)
	}
	f, err := os.CreateTemp(s.Root(), ".upload-*.tar.gz")
	if err != nil {
		return "", "", 0, fmt.Errorf("plugins: %w", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = write(cw)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("plugins: %w", cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", 0, err
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// install verifies the spooled archive, refuses downgrades, moves it into
// Root/<id>/<version>/, hashes the executable there and records it.
func (s *Service) install(ctx context.Context, o InstallOptions, archive, sum string, size int64) (*Plugin, error) {
	staging := filepath.Join(s.Root(), ".staging-"+randomName())
	defer os.RemoveAll(staging)
	unpack := s.d.Packages.Unpack
	if o.Dev {
		unpack = s.d.Packages.UnpackUnsigned
	}
	up, err := unpack(ctx, archive, filepath.Join(staging, "root"))
	if err != nil {
		return nil, refused(ctx, err, "")
	}
	m := up.Manifest
	auditResource(ctx, m.ID, "", "")
	if e := o.Expect; e != nil && (m.ID != e.ID || m.Version != e.Version || up.SignerKeyID != e.SignerKeyID) {
		return nil, refused(ctx, Refuse(ReasonInvalidArchive, fmt.Errorf("the archive holds %s %s signed by %s; its catalog lists %s %s signed by %s",
			m.ID, m.Version, signedBy(up.SignerKeyID), e.ID, e.Version, e.SignerKeyID)), m.Version)
	}
	if m.Exec == "" && m.Side == ports.PluginSideServer {
		return nil, refused(ctx, Refuse(ReasonNoExecutable, fmt.Errorf("%s ships no executable for this server's platform", m.ID)), m.Version)
	}
	old, err := s.d.Store.Plugins().Get(ctx, m.ID)
	downgrade := false
	switch {
	case errors.Is(err, domain.ErrNotFound):
		old = nil
	case err != nil:
		return nil, err
	case o.Dev: // the author's build replaces whatever is installed
	default:
		cmp, err := s.d.Packages.CompareVersions(m.Version, old.Version)
		if err != nil {
			return nil, refused(ctx, Refuse(ReasonInvalidManifest, err), m.Version)
		}
		if cmp == 0 {
			return nil, refused(ctx, Refuse(ReasonSameVersion, fmt.Errorf("%s %s is already installed", m.ID, m.Version)), m.Version)
		}
		if cmp < 0 && !o.AllowDowngrade {
			return nil, refused(ctx, Refuse(ReasonDowngrade, fmt.Errorf("%s %s is older than the installed %s: "+
				"install it with --allow-downgrade (API: ?allowDowngrade=true) to keep the org settings, or remove the plugin first (its org settings go with it)",
				m.ID, m.Version, old.Version)), m.Version)
		}
		downgrade = cmp < 0
	}

	final := s.versionDir(m.ID, m.Version)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	_ = os.RemoveAll(final) // a leftover of an install that never got recorded
	if err := os.Rename(archive, filepath.Join(staging, "archive.tar.gz")); err != nil {
		return nil, fmt.Errorf("plugins: keep archive: %w", err)
	}
	if err := os.Chmod(staging, 0o700); err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	if err := os.Rename(staging, final); err != nil {
		return nil, fmt.Errorf("plugins: move into place: %w", err)
	}
	execSHA := ""
	if m.Exec != "" {
		// Hashed where it will run from: this is the hash every start checks.
		if execSHA, err = hashFile(s.execPath(m.ID, m.Version, m.Exec)); err != nil {
			_ = os.RemoveAll(final)
			return nil, fmt.Errorf("plugins: hash executable: %w", err)
		}
	}
	row := &ports.InstalledPlugin{
		ID: m.ID, Name: m.Name, Version: m.Version, Kind: m.Kind, Side: m.Side, Manifest: up.Raw,
		ArchiveSHA: sum, ArchiveSize: size, ExecSHA: execSHA, SignerKeyID: up.SignerKeyID,
		InstalledAt: s.d.Clock.Now(), InstalledBy: o.By,
	}
	if o.Dev {
		row.InstalledBy = DevInstaller
		row.Enabled = old == nil // a new plugin runs at once; a switch the author set is kept
	}
	archiveBytes, err := os.ReadFile(filepath.Join(final, "archive.tar.gz"))
	if err != nil {
		_ = os.RemoveAll(final)
		return nil, fmt.Errorf("plugins: read archive: %w", err)
	}
	// The row and the archive together: any node can then unpack it.
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := tx.Plugins().Put(ctx, row); err != nil {
			return err
		}
		return tx.Plugins().PutArchive(ctx, row.ID, row.Version, archiveBytes)
	})
	if err != nil {
		_ = os.RemoveAll(final)
		return nil, err
	}
	var orgs []string
	defer func() { s.changed(ctx, orgs) }()
	if row.Enabled && row.Side == ports.PluginSideServer {
		s.startRow(ctx, row) // the new version (or build) replaces the running one
	}
	if old != nil {
		if old.Version != row.Version { // a dev rebuild keeps its version
			_ = os.RemoveAll(s.versionDir(old.ID, old.Version))
		}
		if row.Enabled && row.Side == ports.PluginSideAgent {
			orgs = s.enabledOrgs(ctx, row.ID)
			s.PushOrgs(ctx, orgs)
		}
	}
	details := map[string]string{"version": m.Version, "signedBy": signedBy(up.SignerKeyID)}
	switch {
	case downgrade:
		details["downgradedFrom"] = old.Version
		details["allowDowngrade"] = "true"
	case o.Dev:
		details["source"], details["unsigned"] = SourceDev, strconv.FormatBool(up.SignerKeyID == "")
		if old != nil {
			details["replaced"] = old.Version
		}
	case old != nil:
		details["upgradedFrom"] = old.Version
	}
	if len(up.Warnings) > 0 {
		details["warnings"] = strings.Join(up.Warnings, "; ")
	}
	auditOutcome(ctx, domain.OutcomeSuccess, details)
	for _, w := range up.Warnings {
		s.d.Logger.Warn("plugin installed with a warning", "plugin_id", m.ID, "version", m.Version, "warning", w)
	}
	if downgrade {
		s.d.Logger.Warn("plugin downgraded (org settings kept)", "plugin_id", m.ID, "version", m.Version, "from", old.Version)
	}
	s.d.Logger.Info("plugin installed", "plugin_id", m.ID, "version", m.Version, "signed_by", signedBy(up.SignerKeyID))
	p := s.view(row)
	p.Warnings = up.Warnings
	return p, nil
}

// execPath is the absolute path of an installed executable (rel is the
// manifest's slash path, checked safe by Packages).
func (s *Service) execPath(id, version, rel string) string {
	p, _ := filepath.Abs(filepath.Join(s.versionDir(id, version), "root", filepath.FromSlash(rel)))
	return p
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randomName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func signedBy(keyID string) string {
	if keyID == "" {
		return "unsigned (development)"
	}
	return keyID
}
