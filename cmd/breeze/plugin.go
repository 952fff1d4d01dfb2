package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/audit"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/internal/server"
	"github.com/breeze-rmm/breeze/logging"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// pluginCommands are the "breeze plugin ..." sub-commands. Those that
// change something work on the configured database directly (like admin
// bootstrap) with the global scope, and write one audit row each with
// actor "cli". A change is announced to the running servers at once: on
// the Redis bus when BREEZE_REDIS_URL is set (every node reconciles and
// pushes agent offers), otherwise the server notices the database's
// plugin revision within two seconds.
var pluginCommands = map[string]func(context.Context, []string) error{
	"install": pluginInstall,
	"list":    pluginList,
	"enable":  func(ctx context.Context, args []string) error { return pluginToggle(ctx, args, true) },
	"disable": func(ctx context.Context, args []string) error { return pluginToggle(ctx, args, false) },
	"remove":  pluginRemove,
	"pack":    pluginPack,
	"keygen":  pluginKeygen,
	"search":  pluginSearch,
	"upgrade": pluginUpgrade,
	"catalog": pluginCatalog,
	"trust":   pluginTrust,
	"untrust": pluginUntrust,
	"keys":    pluginKeys,
}

const pluginUsage = `usage: breeze plugin <command> [flags]

  install FILE|DIR [--allow-downgrade]   install a packed plugin (.tar.gz) or a plugin directory
  install ID[@VERSION] [--allow-downgrade]   install from the subscribed catalogs
  upgrade [ID]       upgrade one plugin (or every one) to the newest version the catalogs offer
  search [TEXT]      plugins the catalogs offer, with the installed version and updates
  catalog add|list|remove|sync|build   catalog subscriptions; build signs an index (breeze plugin catalog -h)
  trust KEY.pub|KEYID [--name N]   trust a publisher key (a file, or the id of a key a catalog lists)
  untrust KEYID      stop trusting a key trusted with "trust"
  keys               the publisher keys trusted in the database
  list               list installed plugins
  enable ID          enable a plugin globally
  disable ID         disable a plugin globally
  remove ID          remove a plugin and its settings
  pack DIR --key KEY.pem [-o OUT.tar.gz]   sign and pack a plugin directory
  keygen NAME        write a signing key pair NAME.key and NAME.pub

Run "breeze plugin <command> -h" for a command's flags; see docs/plugins.md.
`

// positional splits "ARG [flags]": the first argument when it is no flag.
// A help flag in its place is left to the command's flag parsing, which
// prints the command's usage.
func positional(synopsis string, args []string) (string, []string, error) {
	if len(args) > 0 && isHelp(args[0]) {
		return "", args, nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, fmt.Errorf("usage: %s", synopsis)
	}
	return args[0], args[1:], nil
}

// pluginEnv opens the database and builds the service (no runtime: the
// CLI runs no plugin).
type pluginEnv struct {
	st       server.MigratingStore
	svc      *plugins.Service
	catalogs *catalogs.Service
	close    func() // the announcer's connection
}

func (e *pluginEnv) Close() {
	e.close()
	e.st.Close()
}

// synopsis is the command's usage line, printed with its flags on -h.
func openPlugins(ctx context.Context, synopsis string, args []string) (*pluginEnv, error) {
	cfg, err := loadConfig(synopsis, args, pluginFlags...)
	if err != nil {
		return nil, err
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := server.Migrate(ctx, st, log); err != nil {
		st.Close()
		return nil, err
	}
	changes, closeChanges, err := server.PluginChangesAnnouncer(ctx, cfg, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, pk, err := newPluginService(cfg, st, log, changes)
	var cat *catalogs.Service
	if err == nil {
		cat, err = server.NewPluginCatalogs(cfg, st, svc, pk, log)
	}
	if err != nil {
		closeChanges()
		st.Close()
		return nil, err
	}
	return &pluginEnv{st: st, svc: svc, catalogs: cat, close: closeChanges}, nil
}

// NewPluginService builds the plugin service from the configuration (the
// trusted keys, the development switch, the secret key). The server adds
// a runtime and the agent relay on top (see core/app/plugins.Deps).
func NewPluginService(cfg *config.Config, st server.MigratingStore, log ports.Logger) (*plugins.Service, error) {
	svc, _, err := newPluginService(cfg, st, log, nil)
	return svc, err
}

func newPluginService(cfg *config.Config, st server.MigratingStore, log ports.Logger, changes plugins.Changes) (*plugins.Service, *pluginserver.Packages, error) {
	keys, err := pluginserver.LoadTrustedKeys(cfg.PluginTrustedKeys)
	if err != nil {
		return nil, nil, err
	}
	box, err := secretbox.Open(cfg.PluginSecretKey, cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	pk := &pluginserver.Packages{Trusted: keys, DBKeys: st.PluginKeys(), AllowUnsigned: cfg.PluginsAllowUnsigned, HostVersion: server.Version}
	svc, err := plugins.New(plugins.Deps{
		Store:    st,
		Packages: pk,
		Sealer:   box,
		Changes:  changes,
		// The CLI runs nothing; this only shows unsigned plugins as the
		// server with the same settings would run them.
		RunUnsigned: cfg.PluginsAllowUnsigned || cfg.PluginDevDir != "",
		DataDir:     cfg.DataDir,
		Logger:      log,
	})
	return svc, pk, err
}

// audited runs fn under an audit note (actor "cli") and appends the row,
// as the HTTP edge does for a request.
func (e *pluginEnv) audited(ctx context.Context, action string, fn func(ctx context.Context) error) error {
	return cliAudited(ctx, e.st, action, "plugin", fn)
}

// cliAudited runs fn under an audit note (actor "cli:<user>") and appends
// the row to st's audit log, as the HTTP edge does for a request.
func cliAudited(ctx context.Context, st ports.Store, action, resourceType string, fn func(ctx context.Context) error) error {
	actorID := "cli"
	if u, err := user.Current(); err == nil {
		actorID = "cli:" + u.Username
	}
	ctx, note := audit.WithNote(ctx, domain.AuditEntry{ActorType: "cli", ActorID: actorID, Action: action, ResourceType: resourceType})
	err := fn(ctx)
	entry, decided := note.Entry()
	switch {
	case err == nil && !decided:
		entry.Outcome = domain.OutcomeSuccess
	case err != nil && (!decided || entry.Outcome == domain.OutcomeSuccess):
		entry.Outcome = domain.OutcomeFailure
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) {
			entry.Outcome = domain.OutcomeDenied
		}
	}
	entry.Truncate()
	if aerr := st.Audit().Append(context.WithoutCancel(ctx), &entry); aerr != nil {
		return errors.Join(err, fmt.Errorf("audit log: %w", aerr))
	}
	return err
}

func pluginInstall(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin install FILE|DIR|ID[@VERSION] [--allow-downgrade] [flags]"
	src, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	rest, allowDowngrade := takeBool(rest, "allow-downgrade")
	env, err := openPlugins(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer env.Close()
	fi, err := os.Stat(src)
	if errors.Is(err, os.ErrNotExist) && looksLikeID(src) {
		id, version, _ := strings.Cut(src, "@")
		return env.catalogInstall(ctx, catalogs.InstallRequest{ID: id, Version: version, AllowDowngrade: allowDowngrade})
	}
	if err != nil {
		return err
	}
	opts := plugins.InstallOptions{By: "cli", AllowDowngrade: allowDowngrade}
	var p *plugins.Plugin
	err = env.audited(ctx, "plugins.install", func(ctx context.Context) error {
		if fi.IsDir() {
			p, err = env.svc.InstallDir(ctx, domain.GlobalScope(), opts, src)
			return err
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		p, err = env.svc.Install(ctx, domain.GlobalScope(), opts, f)
		return err
	})
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		fmt.Printf("warning: %s\n", w)
	}
	fmt.Printf("installed %s %s (%s, %s side, signed by %s); enable it with: breeze plugin enable %s\n",
		p.ID, p.Version, p.Kind, p.Side, p.SignedBy, p.ID)
	return nil
}

// takeBool removes a boolean flag (-name or --name) from args, wherever it
// stands, and says whether it was there: the configuration flags parsed
// afterwards do not know it.
func takeBool(args []string, name string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for _, a := range args {
		if a == "-"+name || a == "--"+name || a == "-"+name+"=true" || a == "--"+name+"=true" {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

func pluginList(ctx context.Context, args []string) error {
	env, err := openPlugins(ctx, "breeze plugin list [flags]", args)
	if err != nil {
		return err
	}
	defer env.Close()
	ps, err := env.svc.List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tVERSION\tKIND\tSIDE\tENABLED\tSIGNED BY")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\n", p.ID, p.Version, p.Kind, p.Side, p.Enabled, p.SignedBy)
	}
	return w.Flush()
}

func pluginToggle(ctx context.Context, args []string, on bool) error {
	verb, action := "disable", "plugins.disable"
	if on {
		verb, action = "enable", "plugins.enable"
	}
	synopsis := "breeze plugin " + verb + " ID [flags]"
	id, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	env, err := openPlugins(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer env.Close()
	var p *plugins.Plugin
	err = env.audited(ctx, action, func(ctx context.Context) error {
		if on {
			p, err = env.svc.Enable(ctx, domain.GlobalScope(), id)
		} else {
			p, err = env.svc.Disable(ctx, domain.GlobalScope(), id)
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s %sd globally\n", p.ID, verb)
	return nil
}

func pluginRemove(ctx context.Context, args []string) error {
	return auditedOnID(ctx, "breeze plugin remove ID [flags]", "plugins.remove", args,
		func(ctx context.Context, env *pluginEnv, id string) error {
			return env.svc.Remove(ctx, domain.GlobalScope(), id)
		}, "%s removed\n")
}

// auditedOnID is a command of one positional argument (an id) whose action
// is audited: it opens the plugin environment, runs do and prints done
// (a format taking the id).
func auditedOnID(ctx context.Context, synopsis, action string, args []string,
	do func(ctx context.Context, env *pluginEnv, id string) error, done string) error {
	id, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	env, err := openPlugins(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer env.Close()
	if err := env.audited(ctx, action, func(ctx context.Context) error { return do(ctx, env, id) }); err != nil {
		return err
	}
	fmt.Printf(done, id)
	return nil
}

// pluginPack signs and packs a plugin directory (no database needed).
func pluginPack(_ context.Context, args []string) error {
	const synopsis = "breeze plugin pack DIR --key KEY.pem [-o OUT.tar.gz]"
	fs := newFlags(synopsis)
	keyPath := fs.String("key", "", "the ed25519 private key (PEM) to sign with (from breeze plugin keygen)")
	out := fs.String("o", "", "the archive to write (default ID-VERSION.tar.gz)")
	// Flags before or after DIR, as breeze-plugin pack takes them.
	pos, err := interleaved(fs, args)
	if err != nil {
		return helped(fs, synopsis, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: %s", synopsis)
	}
	dir := pos[0]
	if *keyPath == "" {
		return errors.New("--key is required (make one with: breeze plugin keygen NAME)")
	}
	data, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	key, err := pack.ParsePrivateKey(data)
	if err != nil {
		return err
	}
	target := *out
	if target == "" {
		target = filepath.Clean(dir) + ".tar.gz.tmp"
	}
	m, err := pack.PackFile(dir, key, target)
	if err != nil {
		return err
	}
	if *out == "" {
		final := m.ID + "-" + m.Version + ".tar.gz"
		if err := os.Rename(target, final); err != nil {
			return err
		}
		target = final
	}
	fmt.Printf("packed %s %s into %s (signed by %s)\n", m.ID, m.Version, target, pack.KeyID(key.Public().(ed25519.PublicKey)))
	return nil
}

// pluginKeygen writes NAME.key (0600) and NAME.pub.
func pluginKeygen(_ context.Context, args []string) error {
	const synopsis = "breeze plugin keygen NAME"
	base, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	if err := parseFlags(newFlags(synopsis), synopsis, rest); err != nil {
		return err
	}
	pub, err := pack.WriteKeyPair(base)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s.key (keep it secret) and %s.pub (key id %s): list the .pub in BREEZE_PLUGIN_TRUSTED_KEYS\n", base, base, pack.KeyID(pub))
	return nil
}

// interleaved parses flags wherever they stand among the arguments and
// returns the arguments (everything after "--" is one).
func interleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		before := len(args)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := before - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
