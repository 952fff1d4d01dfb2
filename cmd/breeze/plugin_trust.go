package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/domain"
)

// "breeze plugin trust|untrust|keys": publisher keys trusted in the
// database (besides BREEZE_PLUGIN_TRUSTED_KEYS), audited with actor "cli".

func pluginTrust(ctx context.Context, args []string) error {
	const synopsis = "breeze plugin trust KEY.pub|KEYID [--name NAME] [flags]"
	args, name := takeString(args, "name")
	arg, rest, err := positional(synopsis, args)
	if err != nil {
		return err
	}
	env, err := openPlugins(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer env.Close()
	req := catalogs.TrustRequest{Name: name}
	if text, isFile := readKey(arg); isFile || strings.HasPrefix(text, "-----BEGIN") {
		req.PublicKey = text
	} else {
		req.KeyID = arg
	}
	var k struct{ id, fp string }
	err = env.audited(ctx, "plugins.keys.trust", func(ctx context.Context) error {
		row, err := env.catalogs.TrustKey(ctx, domain.GlobalScope(), req, "cli")
		if err == nil {
			k.id, k.fp = row.KeyID, row.Fingerprint
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("trusted key %s\n  fingerprint %s\n(check it with the publisher; untrust with: breeze plugin untrust %s)\n", k.id, k.fp, k.id)
	return nil
}

func pluginUntrust(ctx context.Context, args []string) error {
	return auditedOnID(ctx, "breeze plugin untrust KEYID [flags]", "plugins.keys.untrust", args,
		func(ctx context.Context, env *pluginEnv, id string) error {
			return env.catalogs.UntrustKey(ctx, domain.GlobalScope(), id)
		}, "key %s is no longer trusted\n")
}

func pluginKeys(ctx context.Context, args []string) error {
	env, err := openPlugins(ctx, "breeze plugin keys [flags]", args)
	if err != nil {
		return err
	}
	defer env.Close()
	ks, err := env.catalogs.Keys(ctx, domain.GlobalScope())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY ID\tNAME\tFINGERPRINT\tADDED BY")
	for _, k := range ks {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.KeyID, k.Name, k.Fingerprint, k.AddedBy)
	}
	return w.Flush()
}
