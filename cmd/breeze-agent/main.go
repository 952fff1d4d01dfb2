// Command breeze-agent is the Breeze agent that runs on each managed device:
// it enrolls once with a one-time key, then keeps a live link to its server
// (heartbeats, inventory) for as long as the machine runs. Thin wiring only;
// the work is in agent/...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/logging"
	"github.com/breeze-rmm/breeze/protocol"
)

// Version is set at build time (-X main.Version=...).
var Version = "dev"

const usage = `breeze-agent: the Breeze RMM agent

Usage:
  breeze-agent enroll --server URL (--key-file FILE | --key KEY)   enroll this device once
  breeze-agent run                                                 stay linked to the server
  breeze-agent install [--dry-run]                                 install as a system service
  breeze-agent status                                              show the config and whether the server answers
  breeze-agent trust-key FILE.pub|-                                trust a plugin signing key (no restart needed)
  breeze-agent untrust-key KEYID...                                stop trusting keys
  breeze-agent trust-release-key KEY|FILE.pub                      trust an agent release key (self-update)
  breeze-agent version

Every command takes --config PATH (default: $BREEZE_AGENT_CONFIG, else
/etc/breeze/agent.json as root, else $XDG_CONFIG_HOME/breeze/agent.json) and
--log-level (trace, debug, info, warn, error). Run "breeze-agent COMMAND -h"
for a command's flags.
`

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// env is what every sub-command gets.
type env struct {
	stdout, stderr io.Writer
	configPath     string
	log            hclog.Logger
}

// runMain dispatches a sub-command and returns the exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, *env, []string) error{
		"enroll":      cmdEnroll,
		"run":         cmdRun,
		"install":     cmdInstall,
		"status":      cmdStatus,
		"trust-key":   cmdTrustKey,
		"untrust-key": cmdUntrustKey,

		"trust-release-key": cmdTrustReleaseKey,
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "breeze-agent %s %s/%s (protocol %d)\n", Version, runtime.GOOS, runtime.GOARCH, protocol.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "breeze-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, &env{stdout: stdout, stderr: stderr}, args[1:])
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ec):
		return int(ec)
	default:
		fmt.Fprintf(stderr, "breeze-agent %s: %v\n", args[0], err)
		return 1
	}
}

// parseFlags parses args quietly: -h prints the command's usage on stdout
// (help is output, not an error), and a bad flag is returned for runMain to
// print once, with a hint.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "usage: %s [flags]\n\nflags:\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return fmt.Errorf("%w (run \"%s -h\" for its flags)", err, fs.Name())
	}
	return nil
}

// exitCode ends a command with a code and no further message (the command
// already printed what matters).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// flags returns a flag set with the shared --config and --log-level; call
// e.parse after adding the command's own flags.
func (e *env) flags(name string) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("breeze-agent "+name, flag.ContinueOnError)
	cfg := fs.String("config", "", "config file (default: $"+config.EnvPath+" or the platform path)")
	level := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	return fs, cfg, level
}

func (e *env) parse(fs *flag.FlagSet, args []string, cfg, level *string) error {
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return e.setup(cfg, level)
}

// parseArgs is parse for a command that takes arguments: flags may come
// before, between or after them. It returns the arguments.
func (e *env) parseArgs(fs *flag.FlagSet, args []string, cfg, level *string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args, e.stdout); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return positional, e.setup(cfg, level)
}

// setup applies the shared flags once parsed.
func (e *env) setup(cfg, level *string) error {
	if hclog.LevelFromString(*level) == hclog.NoLevel {
		return fmt.Errorf("unknown --log-level %q", *level)
	}
	e.configPath = config.Resolve(*cfg)
	e.log = logging.New("breeze-agent", *level, "text", e.stderr)
	return nil
}
