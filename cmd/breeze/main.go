// Command breeze is the Breeze server: serve, migrate and version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/breeze-rmm/breeze/internal/server"
	"github.com/breeze-rmm/breeze/logging"
	"github.com/breeze-rmm/breeze/sdk"
)

const usage = `usage: breeze <command> [flags]

commands:
  serve     run the server (the default)
  migrate   apply pending database migrations and exit
  admin bootstrap   create the first partner and administrator (empty database only)
  plugin install|list|enable|disable|remove|pack|keygen   manage plugins (see docs/plugins.md)
  release keygen|sign   sign agent builds for self-update (see docs/operations.md)
  audit verify      check the audit log's hash chain; exits 1 at the first broken link
  ca status|roots|rotate|retire   the agents' certificate authority (mutual TLS; docs/operations.md)
  version   print the version

Run "breeze serve -h" for the flags; each has a BREEZE_* environment variable.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Print(usage)
		return 0
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args)
	case "migrate":
		err = migrate(ctx, args)
	case "admin":
		err = sub(ctx, "admin", adminUsage, args, map[string]func(context.Context, []string) error{"bootstrap": adminBootstrap})
	case "plugin":
		err = sub(ctx, "plugin", pluginUsage, args, pluginCommands)
	case "release":
		err = sub(ctx, "release", releaseUsage, args, releaseCommands)
	case "audit":
		err = sub(ctx, "audit", auditUsage, args, map[string]func(context.Context, []string) error{"verify": auditVerify})
	case "ca":
		err = sub(ctx, "ca", caUsage, args, caCommands)
	case "version":
		fmt.Printf("breeze %s (plugin API %d)\n", server.Version, sdk.APIVersion)
	default:
		fmt.Fprintf(os.Stderr, "breeze: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "breeze: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, args []string) error {
	cfg, err := loadConfig("breeze serve [flags]", args)
	if err != nil {
		return err
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	return server.Run(ctx, server.Deps{Config: cfg, Logger: log})
}

func migrate(ctx context.Context, args []string) error {
	cfg, err := loadConfig("breeze migrate [flags]", args, dbFlags...)
	if err != nil {
		return err
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	fmt.Printf("database at version %d (%d migration(s) applied)\n", res.To, len(res.Applied))
	return nil
}

// sub dispatches a two-word command such as "admin bootstrap". The group's
// own help (breeze plugin --help) is output and exit 0; a missing or
// unknown sub-command is a usage error.
func sub(ctx context.Context, group, groupUsage string, args []string, cmds map[string]func(context.Context, []string) error) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Print(groupUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || cmds[args[0]] == nil {
		names := make([]string, 0, len(cmds))
		for n := range cmds {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Errorf("usage: breeze %s %s [flags] (run \"breeze %s --help\")", group, strings.Join(names, "|"), group)
	}
	return cmds[args[0]](ctx, args[1:])
}

const adminUsage = `usage: breeze admin bootstrap [flags]

  bootstrap   create the first partner and its administrator (empty database only)

Run "breeze admin bootstrap -h" for its flags.
`

const auditUsage = `usage: breeze audit verify [flags]

  verify   check the audit log's hash chain; exits 1 at the first broken link

Run "breeze audit verify -h" for its flags.
`
