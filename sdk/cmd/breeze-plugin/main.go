// Command breeze-plugin is the plugin author's tool, usable without a Breeze
// server: keygen, pack (sign) and verify plugin archives.
//
//	breeze-plugin init [--kind KIND] [--sdk DIR] NAME  a new plugin module from a template
//	breeze-plugin keygen NAME              writes NAME.key and NAME.pub
//	breeze-plugin pack DIR [-key NAME.key] [-o OUT.tar.gz]
//	breeze-plugin verify ARCHIVE -pub NAME.pub[,OTHER.pub] [-unsigned]
//
// Flags may stand before or after the argument (as for `breeze plugin
// pack`); the documented form puts the argument first.
package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "breeze-plugin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: breeze-plugin init|keygen|pack|verify ...")
	}
	if args[0] == "init" {
		return runInit(args[1:])
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key (PEM) to sign with")
	out := fs.String("o", "", "output archive (default ID-VERSION.tar.gz)")
	pubs := fs.String("pub", "", "trusted public keys (PEM), comma separated")
	unsigned := fs.Bool("unsigned", false, "accept an unsigned archive (development)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s: want exactly one argument", args[0])
	}
	arg := pos[0]
	switch args[0] {
	case "keygen":
		pub, err := pack.WriteKeyPair(arg)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s.key and %s.pub (key id %s)\n", arg, arg, pack.KeyID(pub))
	case "pack":
		var key ed25519.PrivateKey
		if *keyFile != "" {
			data, err := os.ReadFile(*keyFile)
			if err != nil {
				return err
			}
			if key, err = pack.ParsePrivateKey(data); err != nil {
				return err
			}
		}
		dest := *out
		if dest == "" {
			m, _, err := manifest.Load(arg)
			if err != nil {
				return err
			}
			dest = m.ID + "-" + m.Version + ".tar.gz"
		}
		m, err := pack.PackFile(arg, key, dest)
		if err != nil {
			return err
		}
		fmt.Printf("packed %s %s (%s) into %s, signed: %v\n", m.ID, m.Version, m.Kind, dest, key != nil)
	case "verify":
		var trusted []ed25519.PublicKey
		for _, p := range strings.Split(*pubs, ",") {
			if p == "" {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			pub, err := pack.ParsePublicKey(data)
			if err != nil {
				return err
			}
			trusted = append(trusted, pub)
		}
		res, err := pack.VerifyArchive(arg, trusted, pack.VerifyOptions{AllowUnsigned: *unsigned})
		if err != nil {
			return err
		}
		fmt.Printf("ok: %s %s (%s), key %q\n", res.Manifest.ID, res.Manifest.Version, res.Manifest.Kind, res.KeyID)
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}

// parseInterleaved parses flags wherever they stand among the arguments
// ("pack DIR -key K" and "pack -key K DIR" alike) and returns the
// arguments; after "--" everything is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
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
		// flag stops at the first argument, or consumed a "--" just before rest.
		if consumed := before - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
