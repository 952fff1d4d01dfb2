package plugincatalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
)

// InstallRequest names what to install from the catalogs.
type InstallRequest struct {
	ID string
	// Version ("": the newest any catalog offers).
	Version string
	// CatalogID restricts the choice to one catalog ("": any).
	CatalogID string
	// Upgrade installs only over an installed, older version.
	Upgrade bool
	// AllowDowngrade is the ordinary install's switch.
	AllowDowngrade bool
}

// Install downloads the plugin's archive from its catalog (through the
// egress policy, at most the catalog's size and MaxArchive), checks its
// SHA-256 against the signed index, and hands it to the ordinary install,
// which verifies the publisher's signature with the trusted keys. A
// publisher key that is not trusted is refused before the download, with
// the key id and fingerprint to check and trust.
func (s *Service) Install(ctx context.Context, sc domain.Scope, r InstallRequest, by string) (*plugins.Plugin, error) {
	audit.SetResource(ctx, "plugin", r.ID, "", "")
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	res, v, err := s.resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	if r.Upgrade {
		if res.Installed == "" {
			return nil, domain.NotFoundf("%s is not installed: install it first", r.ID)
		}
		if c, err := s.d.Source.CompareVersions(v.Version, res.Installed); err != nil || c <= 0 {
			return nil, domain.Conflictf("%s %s is up to date (the catalogs offer %s)", r.ID, res.Installed, v.Version)
		}
	}
	if !res.PublisherTrusted {
		return nil, refuse(ctx, v.Version, plugins.ReasonUntrustedKey, fmt.Errorf(
			"%s is published with key %s (fingerprint %s), which is not trusted: check the fingerprint with the publisher, then trust it "+
				"(dashboard: Plugins → Browse → Trust publisher; CLI: breeze plugin trust %s)",
			r.ID, res.PublisherKeyID, res.PublisherFingerprint, res.PublisherKeyID))
	}
	if v.Size > s.d.MaxArchive {
		return nil, refuse(ctx, v.Version, plugins.ReasonTooLarge, fmt.Errorf("the archive of %s %s is %d bytes (limit %d)", r.ID, v.Version, v.Size, s.d.MaxArchive))
	}
	f, err := s.download(ctx, r.ID, v)
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	s.d.Logger.Info("installing a plugin from a catalog", "plugin_id", r.ID, "version", v.Version, "catalog", res.CatalogName)
	return s.d.Installer.Install(ctx, sc, plugins.InstallOptions{By: by, AllowDowngrade: r.AllowDowngrade,
		Expect: &plugins.Expected{ID: r.ID, Version: v.Version, SignerKeyID: res.PublisherKeyID}}, f)
}

// download spools the archive into a temp file and checks it against the
// index: a hash or size that differs (a tampered or truncated archive) is
// refused. The file is rewound for reading.
func (s *Service) download(ctx context.Context, id string, v Version) (*os.File, error) {
	f, err := os.CreateTemp("", "breeze-catalog-*.tar.gz")
	if err != nil {
		return nil, fmt.Errorf("plugincatalog: %w", err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	h := sha256.New()
	cw := &counter{w: io.MultiWriter(f, h)}
	if err := s.d.Source.Download(ctx, v.URL, v.Size, cw); err != nil {
		return fail(refuse(ctx, v.Version, plugins.ReasonInvalidArchive, fmt.Errorf("download of %s %s failed: %w", id, v.Version, err)))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); cw.n != v.Size || sum != v.SHA256 {
		return fail(refuse(ctx, v.Version, plugins.ReasonHashMismatch, fmt.Errorf(
			"the archive of %s %s does not match the catalog (%d bytes, sha256 %s; the catalog says %d bytes, sha256 %s)",
			id, v.Version, cw.n, sum, v.Size, v.SHA256)))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("plugincatalog: %w", err))
	}
	return f, nil
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// refuse audits a refusal (denied, with its reason) like the ordinary
// install's.
func refuse(ctx context.Context, version, reason string, cause error) error {
	err := plugins.Refuse(reason, cause)
	outcome(ctx, domain.OutcomeDenied, map[string]string{"reason": reason, "message": err.Error(), "version": version})
	return err
}

// resolve finds the catalog entry and version to install: the version
// asked for, or the newest this server can run, from the catalog asked
// for or any.
func (s *Service) resolve(ctx context.Context, r InstallRequest) (*Result, Version, error) {
	results, err := s.Search(ctx, domain.GlobalScope(), "")
	if err != nil {
		return nil, Version{}, err
	}
	var best *Result
	var bestV Version
	for _, res := range results {
		if res.ID != r.ID || r.CatalogID != "" && res.CatalogID != r.CatalogID {
			continue
		}
		v := res.Latest
		if r.Version != "" {
			if v = res.findVersion(r.Version); v.Version == "" {
				continue
			}
		}
		if best == nil {
			best, bestV = res, v
		} else if c, err := s.d.Source.CompareVersions(v.Version, bestV.Version); err == nil && c > 0 {
			best, bestV = res, v
		}
	}
	if best == nil {
		if r.Version != "" {
			return nil, Version{}, domain.NotFoundf("no subscribed catalog offers %s %s", r.ID, r.Version)
		}
		return nil, Version{}, domain.NotFoundf("no subscribed catalog offers %s", r.ID)
	}
	return best, bestV, nil
}

// findVersion is the version v of the entry (zero when not listed).
func (r *Result) findVersion(v string) Version {
	for _, x := range r.Versions {
		if x.Version == v {
			return x
		}
	}
	return Version{}
}

// Upgrade is one plugin's upgrade from Updates.
type Upgrade struct {
	ID, From, To string
	Err          error
}

// Updates lists the installed plugins a catalog offers a newer version of.
func (s *Service) Updates(ctx context.Context, sc domain.Scope) ([]Upgrade, error) {
	results, err := s.Search(ctx, sc, "")
	if err != nil {
		return nil, err
	}
	best := map[string]Upgrade{}
	var order []string
	for _, r := range results {
		if !r.UpdateAvailable {
			continue
		}
		u, ok := best[r.ID]
		if !ok {
			order = append(order, r.ID)
		}
		if c, err := s.d.Source.CompareVersions(r.Latest.Version, u.To); !ok || err == nil && c > 0 {
			best[r.ID] = Upgrade{ID: r.ID, From: r.Installed, To: r.Latest.Version}
		}
	}
	out := make([]Upgrade, 0, len(order))
	for _, id := range order {
		out = append(out, best[id])
	}
	return out, nil
}
