package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// The catalog side of "breeze plugin": subscriptions, search, installs and
// upgrades from catalogs, trusted publisher keys, and building a catalog.
// Like the other commands they work on the database directly, audited
// with actor "cli"; syncs and downloads go through the egress policy.

var catalogCommands = map[string]func(context.Context, []string) error{
	"add":    catalogAdd,
	"list":   catalogList,
	"remove": catalogRemove,
	"sync":   catalogSync,
	"build":  catalogBuild,
}

const catalogUsage = `usage: breeze plugin catalog <command> [flags]

  add NAME URL --key CATALOG.pub   subscribe to a catalog (URL of its index.json; synced at once)
  list                 subscriptions, last sync and its error
  remove NAME|ID       unsubscribe (installed plugins stay)
  sync [NAME|ID]       sync one catalog (or all) now
  build DIR --key KEY.pem --base-url URL [-o OUTDIR] [--name N] [--publisher PUB.pem,...]
                       sign index.json and index.json.sig for the packed plugins in DIR

See docs/plugins.md#catalogs.
`

func pluginCatalog(ctx context.Context, args []string) error {
	return sub(ctx, "plugin catalog", catalogUsage, args, catalogCommands)
}

// looksLikeID: an argument of install that names a catalog plugin.
func looksLikeID(s string) bool {
	id, version, _ := strings.Cut(s, "@")
	if version != "" {
		if _, err := manifest.ParseVersion(version); err != nil {
			return false
		}
	}
	return manifest.ValidID(id) && !strings.HasSuffix(id, ".tar.gz")
}

// takeString removes "-name VALUE" or "-name=VALUE" (one or two dashes)
// from args, wherever it stands.
func takeString(args []string, name string) ([]string, string) {
	out := make([]string, 0, len(args))
	val := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-"+name || a == "--"+name) && i+1 < len(args):
			val = args[i+1]
			i++
		case strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"="):
			_, val, _ = strings.Cut(a, "=")
		default:
			out = append(out, a)
		}
	}
	return out, val
}

func (e *pluginEnv) catalogInstall(ctx context.Context, r catalogs.InstallRequest) error {
	var p *plugins.Plugin
	err := e.audited(ctx, "plugins.catalog.install", func(ctx context.Context) (err error) {
		p, err = e.catalogs.Install(ctx, domain.GlobalScope(), r, "cli")
		return err
	})
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		fmt.Printf("warning: %s\n", w)
	}
	fmt.Printf("installed %s %s from a catalog (%s, %s side, signed by %s)\n", p.ID, p.Version, p.Kind, p.Side, p.SignedBy)
	return nil
}

func pluginSearch(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin search [TEXT] [flags]"
	text := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		text, args = args[0], args[1:]
	}
	env, err := openPlugins(ctx, synopsis, args)
	if err != nil {
		return err
	}
	defer env.Close()
	rs, err := env.catalogs.Search(ctx, domain.GlobalScope(), text)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tLATEST\tINSTALLED\tKIND\tCATALOG\tPUBLISHER\tDESCRIPTION")
	for _, r := range rs {
		inst := r.Installed
		switch {
		case inst == "":
			inst = "-"
		case r.UpdateAvailable:
			inst += " (update)"
		}
		pub := r.PublisherKeyID
		if !r.PublisherTrusted {
			pub += " (untrusted)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Latest.Version, inst, r.Kind, r.CatalogName, pub, oneLine(r.Description, 60))
	}
	return w.Flush()
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func pluginUpgrade(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin upgrade [ID] [flags]"
	id := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	env, err := openPlugins(ctx, synopsis, args)
	if err != nil {
		return err
	}
	defer env.Close()
	if id != "" {
		return env.catalogInstall(ctx, catalogs.InstallRequest{ID: id, Upgrade: true})
	}
	ups, err := env.catalogs.Updates(ctx, domain.GlobalScope())
	if err != nil {
		return err
	}
	if len(ups) == 0 {
		fmt.Println("every installed plugin is up to date with the catalogs")
		return nil
	}
	var errs []error
	for _, u := range ups {
		if err := env.catalogInstall(ctx, catalogs.InstallRequest{ID: u.ID, Upgrade: true}); err != nil {
			errs = append(errs, fmt.Errorf("%s %s → %s: %w", u.ID, u.From, u.To, err))
		}
	}
	return errors.Join(errs...)
}

// readKey is a key argument: a file's content, or the text itself.
func readKey(arg string) (string, bool) {
	if data, err := os.ReadFile(arg); err == nil {
		return string(data), true
	}
	return arg, false
}

func catalogAdd(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin catalog add NAME URL --key CATALOG.pub [flags]"
	args, keyArg := takeString(args, "key")
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		if len(args) > 0 && isHelp(args[0]) {
			_, err := openPlugins(ctx, synopsis, args)
			return err
		}
		return fmt.Errorf("usage: %s", synopsis)
	}
	if keyArg == "" {
		return errors.New("--key is required: the catalog's public key (a .pub file, or its base64)")
	}
	name, url := args[0], args[1]
	env, err := openPlugins(ctx, synopsis, args[2:])
	if err != nil {
		return err
	}
	defer env.Close()
	key, _ := readKey(keyArg)
	var c *catalogs.Catalog
	err = env.audited(ctx, "plugins.catalogs.add", func(ctx context.Context) (err error) {
		c, err = env.catalogs.Subscribe(ctx, domain.GlobalScope(), catalogs.SubscribeRequest{Name: name, URL: url, PublicKey: key}, "cli")
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("subscribed to %s (key %s, fingerprint %s)\n", c.Name, c.KeyID, c.Fingerprint)
	return reportSync(c)
}

func reportSync(c *catalogs.Catalog) error {
	if c.SyncError != "" {
		return fmt.Errorf("catalog %s: sync failed (the last good index is kept): %s", c.Name, c.SyncError)
	}
	noun := "plugins"
	if c.Plugins == 1 {
		noun = "plugin"
	}
	fmt.Printf("%s synced: %d %s\n", c.Name, c.Plugins, noun)
	return nil
}

func catalogList(ctx context.Context, args []string) error {
	env, err := openPlugins(ctx, "breeze plugin catalog list [flags]", args)
	if err != nil {
		return err
	}
	defer env.Close()
	cs, err := env.catalogs.Catalogs(ctx, domain.GlobalScope())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tURL\tKEY\tPLUGINS\tSYNCED\tERROR")
	for _, c := range cs {
		synced := "never"
		if !c.SyncedAt.IsZero() {
			synced = c.SyncedAt.Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Name, c.URL, c.KeyID, c.Plugins, synced, oneLine(c.SyncError, 60))
	}
	return w.Flush()
}

// catalogID resolves a catalog name (case-insensitive) or id.
func (e *pluginEnv) catalogID(ctx context.Context, ref string) (string, error) {
	cs, err := e.catalogs.Catalogs(ctx, domain.GlobalScope())
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.ID == ref || strings.EqualFold(c.Name, ref) {
			return c.ID, nil
		}
	}
	return "", domain.NotFoundf("no catalog named %q", ref)
}

func catalogRemove(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin catalog remove NAME|ID [flags]"
	ref, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	env, err := openPlugins(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer env.Close()
	id, err := env.catalogID(ctx, ref)
	if err != nil {
		return err
	}
	if err := env.audited(ctx, "plugins.catalogs.remove", func(ctx context.Context) error {
		return env.catalogs.Unsubscribe(ctx, domain.GlobalScope(), id)
	}); err != nil {
		return err
	}
	fmt.Printf("unsubscribed from %s\n", ref)
	return nil
}

func catalogSync(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin catalog sync [NAME|ID] [flags]"
	ref := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		ref, args = args[0], args[1:]
	}
	env, err := openPlugins(ctx, synopsis, args)
	if err != nil {
		return err
	}
	defer env.Close()
	var ids []string
	if ref != "" {
		id, err := env.catalogID(ctx, ref)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	} else {
		cs, err := env.catalogs.Catalogs(ctx, domain.GlobalScope())
		if err != nil {
			return err
		}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
	}
	var errs []error
	for _, id := range ids {
		var c *catalogs.Catalog
		err := env.audited(ctx, "plugins.catalogs.sync", func(ctx context.Context) (err error) {
			c, err = env.catalogs.Sync(ctx, domain.GlobalScope(), id)
			return err
		})
		if err == nil {
			err = reportSync(c)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
