package main

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/internal/server"
	"github.com/breeze-rmm/breeze/logging"
)

const caUsage = `usage: breeze ca status|roots|rotate|retire [flags]

  status   list the agent CAs (active, trusted during a rotation, retired) and
           how many valid device certificates each has issued
  roots [--caddy]   print the trusted roots (PEM; --caddy: trusted_ca_cert lines
           for the front's client_auth, deploy/caddy/tls-agent-mtls.caddy)
  rotate   make a new active CA; the current one stays trusted until retired
  retire [ID]   stop trusting a rotated-out CA (default: the only one)

The CA's key is sealed with BREEZE_PLUGIN_SECRET_KEY (or the key file in the
data directory): run these with the server's configuration. See
docs/operations.md, "Agent certificates".
`

var caCommands = map[string]func(context.Context, []string) error{
	"status": caStatus, "roots": caRoots, "rotate": caRotate, "retire": caRetire,
}

// caEnv opens the store and the CA as a node would.
type caEnv struct {
	st server.MigratingStore
	ca *agentca.Service
}

func openCA(ctx context.Context, synopsis string, args []string) (*caEnv, []string, error) {
	fs := newFlags(synopsis)
	cfg, err := config.LoadSome(fs, args, os.Getenv, dbFlags...)
	if err = helped(fs, synopsis, err); err != nil {
		return nil, nil, err
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	box, err := secretbox.Open(cfg.PluginSecretKey, cfg.DataDir)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("secrets key: %w", err)
	}
	ca, err := server.BuildCA(cfg, log, st, box, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return &caEnv{st: st, ca: ca}, fs.Args(), nil
}

func caStatus(ctx context.Context, args []string) error {
	e, _, err := openCA(ctx, "breeze ca status [flags]", args)
	if err != nil {
		return err
	}
	defer e.st.Close()
	list, err := e.ca.Status(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tCREATED\tEXPIRES\tVALID CERTS\tSUBJECT")
	for _, c := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", c.ID, c.State, c.CreatedAt.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), c.ValidCerts, c.Subject)
	}
	return w.Flush()
}

func caRoots(ctx context.Context, args []string) error {
	const synopsis = "breeze ca roots [--caddy] [flags] > FILE"
	rest, caddy := takeBool(args, "caddy")
	e, _, err := openCA(ctx, synopsis, rest)
	if err != nil {
		return err
	}
	defer e.st.Close()
	roots, err := e.ca.Roots(ctx)
	if err != nil {
		return err
	}
	if !caddy {
		fmt.Print(roots)
		return nil
	}
	// Lines for the front's client_auth block (deploy/caddy/tls-agent-mtls.caddy).
	rest2 := []byte(roots)
	for {
		var b *pem.Block
		b, rest2 = pem.Decode(rest2)
		if b == nil {
			return nil
		}
		fmt.Printf("trusted_ca_cert %s\n", base64.StdEncoding.EncodeToString(b.Bytes))
	}
}

func caRotate(ctx context.Context, args []string) error {
	e, _, err := openCA(ctx, "breeze ca rotate [flags]", args)
	if err != nil {
		return err
	}
	defer e.st.Close()
	var id string
	err = cliAudited(ctx, e.st, "agentca.rotate", "agent_ca", func(ctx context.Context) error {
		var err error
		if id, err = e.ca.Rotate(ctx); err == nil {
			audit.Annotate(ctx, func(a *domain.AuditEntry) { a.ResourceID = id })
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("new active agent CA %s; the previous one stays trusted.\n"+
		"Next: update the TLS front's roots (breeze ca roots), let agents renew (at their next link, within %s on every node),\n"+
		"watch `breeze ca status` until the old CA has 0 valid certificates, then `breeze ca retire`.\n", id, agentca.DefaultRefresh)
	return nil
}

func caRetire(ctx context.Context, args []string) error {
	const synopsis = "breeze ca retire [flags] [ID]"
	e, rest, err := openCA(ctx, synopsis, args)
	if err != nil {
		return err
	}
	defer e.st.Close()
	if len(rest) > 1 {
		return fmt.Errorf("usage: %s", synopsis)
	}
	want := ""
	if len(rest) == 1 {
		want = rest[0]
	}
	var id string
	err = cliAudited(ctx, e.st, "agentca.retire", "agent_ca", func(ctx context.Context) error {
		var err error
		if id, err = e.ca.Retire(ctx, want); err == nil {
			audit.Annotate(ctx, func(a *domain.AuditEntry) { a.ResourceID = id })
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("retired agent CA %s: its certificates no longer link where mutual TLS is required.\n"+
		"Update the TLS front's roots (breeze ca roots).\n", id)
	return nil
}
