package plugins

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Plugin dev mode: a server started with a dev directory (never in
// production; internal/config refuses it there) loads the plugin
// directories in it unsigned and loads them again whenever the author
// rebuilds, so the loop is edit → go build → see it. A dev load is an
// ordinary install (recorded, distributed to agents like any other), made
// by DevInstaller, so the API marks it source "dev" and unsigned.
const (
	// DevInstaller is the installed_by of a plugin dev mode loaded.
	DevInstaller = "plugin-dev-dir"
	// SourceDev and SourceArchive are a plugin's Source.
	SourceDev     = "dev"
	SourceArchive = "archive"
	// DevPollEvery is how often the dev directory is looked at.
	DevPollEvery = 2 * time.Second
)

// WatchDev loads every plugin directory of dir now and again each time its
// fingerprint moves (checked every `every`; DevPollEvery when 0), until ctx
// ends. A load that fails is logged (and audited) once per fingerprint:
// the next build tries again.
func (s *Service) WatchDev(ctx context.Context, dir string, every time.Duration) {
	if every <= 0 {
		every = DevPollEvery
	}
	seen := map[string]string{} // plugin directory → fingerprint last loaded (or tried)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s.devScan(ctx, dir, seen)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Service) devScan(ctx context.Context, dir string, seen map[string]string) {
	dirs, err := s.d.Packages.DevDirs(dir)
	if err != nil {
		if seen["\x00"] != err.Error() {
			s.d.Logger.Warn("plugin dev directory unreadable", "dir", dir, "error", err)
			seen["\x00"] = err.Error()
		}
		return
	}
	delete(seen, "\x00")
	for _, d := range dirs {
		fp, err := s.d.Packages.DevFingerprint(ctx, d)
		if err != nil {
			fp = "error: " + err.Error() // e.g. the binary is not built yet
		}
		if seen[d] == fp {
			continue
		}
		seen[d] = fp
		if err != nil {
			s.d.Logger.Warn("plugin dev mode: directory not loadable", "dir", d, "error", err)
			continue
		}
		if _, err := s.LoadDev(ctx, d); err != nil {
			s.d.Logger.Error("plugin dev mode: load failed", "dir", d, "error", err)
		}
	}
}

// LoadDev installs the plugin directory dir unsigned (plugin dev mode),
// replacing the installed build of the same id, and appends its audit row
// (actor system "plugin-dev-dir", action plugins.dev_load).
func (s *Service) LoadDev(ctx context.Context, dir string) (*Plugin, error) {
	ctx, note := audit.WithNote(ctx, domain.AuditEntry{ActorType: string(domain.PrincipalSystem), ActorID: DevInstaller,
		Action: "plugins.dev_load", ResourceType: "plugin", Outcome: domain.OutcomeFailure})
	p, err := s.loadDev(ctx, dir)
	entry, decided := note.Entry()
	if err != nil && (!decided || entry.Outcome == domain.OutcomeSuccess) {
		entry.Outcome = domain.OutcomeFailure
		entry.Details = `{"source":"dev","error":` + quoteJSON(domain.Abbrev(err.Error(), 500)) + `}`
	}
	entry.Truncate()
	if aerr := s.d.Store.Audit().Append(context.WithoutCancel(ctx), &entry); aerr != nil {
		s.d.Logger.Warn("plugin dev load not audited", "dir", dir, "error", aerr)
	}
	if err != nil {
		return nil, err
	}
	s.d.Logger.Warn("plugin dev mode: UNSIGNED plugin loaded", "plugin_id", p.ID, "version", p.Version,
		"kind", p.Kind, "dir", dir, "state", p.State)
	return p, nil
}

func (s *Service) loadDev(ctx context.Context, dir string) (*Plugin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, sum, size, err := s.spool(func(w io.Writer) error { return s.d.Packages.DevArchive(ctx, dir, w) })
	if err != nil {
		return nil, refused(ctx, err, "")
	}
	defer os.Remove(tmp)
	return s.install(ctx, InstallOptions{By: DevInstaller, Dev: true}, tmp, sum, size)
}

// unsignedStopped is the last error of an unsigned plugin on a server
// that is neither in dev mode nor allowing unsigned plugins.
const unsignedStopped = "unsigned: runs only while the server is in plugin dev mode (BREEZE_PLUGIN_DEV_DIR) " +
	"or allows unsigned plugins (BREEZE_PLUGINS_ALLOW_UNSIGNED); install a signed build or remove it"

// mayRun: a signed plugin, or unsigned ones allowed.
func (s *Service) mayRun(row *ports.InstalledPlugin) bool {
	return row.SignerKeyID != "" || s.d.RunUnsigned
}

func quoteJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return `""`
	}
	return string(b)
}
