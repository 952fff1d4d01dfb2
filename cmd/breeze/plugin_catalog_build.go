package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// catalogBuild signs an index of DIR's archives (no database needed).
func catalogBuild(_ context.Context, args []string) error {
	const synopsis = "breeze plugin catalog build DIR --key KEY.pem --base-url URL [-o OUTDIR] [--name NAME] [--publisher PUB.pem,...]"
	fs := newFlags(synopsis)
	keyPath := fs.String("key", "", "the catalog's ed25519 private key (PEM, from breeze plugin keygen)")
	base := fs.String("base-url", "", "the https URL the archives will be served from (each at BASE/FILE.tar.gz)")
	out := fs.String("o", "", "where to write index.json and index.json.sig (default DIR)")
	name := fs.String("name", "", "the catalog's name, shown to subscribers")
	publishers := fs.String("publisher", "", "comma-separated public keys (PEM files) of the archives' signers besides the catalog key")
	allowHTTP := fs.Bool("allow-http", false, "DEVELOPMENT ONLY: accept an http base URL")
	pos, err := interleaved(fs, args)
	if err != nil {
		return helped(fs, synopsis, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: %s", synopsis)
	}
	if *keyPath == "" || *base == "" {
		return errors.New("--key and --base-url are required")
	}
	data, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	key, err := pack.ParsePrivateKey(data)
	if err != nil {
		return err
	}
	o := catalog.BuildOptions{Key: key, BaseURL: *base, Name: *name, AllowHTTP: *allowHTTP}
	for _, p := range strings.Split(*publishers, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pub, err := pack.ParsePublicKey(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		o.Publishers = append(o.Publishers, pub)
	}
	index, sig, err := catalog.Build(pos[0], o)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = pos[0]
	}
	if err := os.WriteFile(filepath.Join(dir, catalog.IndexFile), index, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, catalog.SignatureFile), sig, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s (signed by %s); publish them with the archives at %s\n",
		filepath.Join(dir, catalog.IndexFile), filepath.Join(dir, catalog.SignatureFile), pack.KeyID(key.Public().(ed25519.PublicKey)), *base)
	return nil
}
