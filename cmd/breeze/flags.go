package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/internal/config"
)

// isHelp is true for the words that ask for help at any level.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// Settings each sub-command reads from flags; the others keep their
// variable or default, so -h lists only what the command uses.
var (
	dbFlags     = []string{"database-url", "data-dir", "log-level", "log-format"}
	pluginFlags = append([]string{"plugin-trusted-keys", "plugins-allow-unsigned", "plugin-catalog-allow-http", "plugin-egress-allow"}, dbFlags...)
)

// loadConfig parses a sub-command's flags into the configuration. synopsis
// is the usage line after "usage: ", printed with the flags on -h.
func loadConfig(synopsis string, args []string, only ...string) (*config.Config, error) {
	fs := newFlags(synopsis)
	cfg, err := config.LoadSome(fs, args, os.Getenv, only...)
	return cfg, helped(fs, synopsis, err)
}

// newFlags is a flag set that prints nothing itself: help goes to stdout
// through helped, errors to run's one "breeze:" line.
func newFlags(synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(strings.Fields(synopsis + " x")[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs, printing the usage on -h.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string) error {
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return helped(fs, synopsis, err)
}

// helped prints the usage on stdout when err is flag.ErrHelp, and returns err.
func helped(fs *flag.FlagSet, synopsis string, err error) error {
	if !errors.Is(err, flag.ErrHelp) {
		return err
	}
	fmt.Fprintf(os.Stdout, "usage: %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(os.Stdout, "\nflags:")
		fs.SetOutput(os.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return err
}
