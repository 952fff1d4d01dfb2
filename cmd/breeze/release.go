package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// releaseCommands are "breeze release ...": the offline half of agent
// self-update. The private release key stays on the operator's machine;
// the server only ever sees public keys and signatures.
var releaseCommands = map[string]func(context.Context, []string) error{
	"keygen": releaseKeygen,
	"sign":   releaseSign,
}

const releaseUsage = `usage: breeze release <command> [flags]

  keygen NAME                      write a release key pair: NAME.key (private, keep offline) and NAME.pub
  sign FILE --key NAME.key --version V [--os linux] [--arch amd64]
                                   print the base64 signature of an agent build (upload it with the build)

The public key (NAME.pub's content) goes into BREEZE_RELEASE_KEYS; agents
receive it at enrollment. See docs/operations.md, "Agent updates".
`

func releaseKeygen(_ context.Context, args []string) error {
	name, rest, err := positional("breeze release keygen NAME", args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("breeze release keygen", flag.ContinueOnError)
	if err := fs.Parse(rest); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if _, err := os.Stat(name + ".key"); err == nil {
		return fmt.Errorf("%s.key exists: refusing to overwrite a release key", name)
	}
	if err := os.WriteFile(name+".key", []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(name+".pub", []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s.key (private: keep it offline) and %s.pub\nBREEZE_RELEASE_KEYS=%s\n", name, name, base64.StdEncoding.EncodeToString(pub))
	return nil
}

// readReleaseKey reads a NAME.key file (base64 of the 32-byte seed).
func readReleaseKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s is not a release key (base64 of a %d-byte seed)", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// SignRelease signs a build's release message (used by the CLI and tests).
func SignRelease(key ed25519.PrivateKey, os, arch, version string, build io.Reader) (sig, sum string, size int64, err error) {
	h := sha256.New()
	n, err := io.Copy(h, build)
	if err != nil {
		return "", "", 0, err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, protocol.ReleaseMessage(os, arch, version, sum))), sum, n, nil
}

func releaseSign(_ context.Context, args []string) error {
	file, rest, err := positional("breeze release sign FILE --key NAME.key --version V", args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("breeze release sign", flag.ContinueOnError)
	keyPath := fs.String("key", "", "the private release key (NAME.key)")
	version := fs.String("version", "", "the build's version (what `breeze-agent version` prints)")
	goos := fs.String("os", "linux", "the build's operating system")
	arch := fs.String("arch", "amd64", "the build's architecture")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if *keyPath == "" || *version == "" {
		return errors.New("--key and --version are required")
	}
	key, err := readReleaseKey(*keyPath)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sig, sum, size, err := SignRelease(key, *goos, *arch, *version, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "signed %s: %s/%s %s, %d bytes, sha256 %s\n", file, *goos, *arch, *version, size, sum)
	fmt.Println(sig)
	return nil
}
