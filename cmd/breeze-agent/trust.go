package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// The agent verifies every plugin against keys it trusts itself, never
// against what the server says: a server that is taken over cannot make
// agents run code its operators never trusted. So keys are trusted on the
// machine (at enrollment with --trust-key, or with trust-key later), and
// a running agent picks up a change within trustReloadEvery.

// cmdTrustKey adds public keys (a .pub file, or - for standard input) to
// the config's pluginTrustedKeys.
func cmdTrustKey(_ context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("trust-key")
	names, err := e.parseArgs(fs, args, cfgFlag, level)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return errors.New("name one public key: a .pub file (PEM), or - to read it from standard input")
	}
	keys, err := readPublicKeys(names[0], os.Stdin)
	if err != nil {
		return err
	}
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	added, err := trustKeys(&cfg, keys)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		fmt.Fprintf(e.stdout, "already trusted: %s\n", keyIDs(keys))
		return nil
	}
	if err := config.Save(e.configPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "trusted plugin signing key %s; a running agent uses it within %s\n", strings.Join(added, ", "), trustReloadEvery)
	return nil
}

// cmdUntrustKey removes the trusted keys with the given ids.
func cmdUntrustKey(_ context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("untrust-key")
	ids, err := e.parseArgs(fs, args, cfgFlag, level)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errors.New("name the key ids to stop trusting (breeze-agent status lists them)")
	}
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	drop := map[string]bool{}
	for _, id := range ids {
		drop[strings.ToLower(id)] = true
	}
	var keep []string
	removed := 0
	for _, entry := range cfg.PluginTrustedKeys {
		ks, err := plugins.TrustedKeys([]string{entry})
		if err == nil && len(ks) == 1 && drop[pack.KeyID(ks[0])] {
			delete(drop, pack.KeyID(ks[0]))
			removed++
			continue
		}
		keep = append(keep, entry)
	}
	if len(drop) > 0 {
		ids := make([]string, 0, len(drop))
		for id := range drop {
			ids = append(ids, id)
		}
		return fmt.Errorf("not a trusted key id (or one of several keys in a file entry): %s", strings.Join(ids, ", "))
	}
	cfg.PluginTrustedKeys = keep
	if err := config.Save(e.configPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed %d key(s); plugins signed only by them are refused from their next start\n", removed)
	return nil
}

// readPublicKeys reads PEM public keys from a file, or stdin for "-".
func readPublicKeys(src string, stdin io.Reader) ([]ed25519.PublicKey, error) {
	var data []byte
	var err error
	if src == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		data, err = os.ReadFile(src)
	}
	if err != nil {
		return nil, fmt.Errorf("read the public key: %w", err)
	}
	data = bytes.TrimSpace(data)
	keys, err := plugins.TrustedKeys([]string{string(data) + "\n"})
	if err != nil {
		return nil, fmt.Errorf("%s is not an ed25519 public key in PEM (as `breeze plugin keygen` writes the .pub): %w", src, err)
	}
	return keys, nil
}

// trustKeys adds each key not yet trusted to cfg, inline (one PEM block
// per entry, so untrust-key can drop one), and returns the ids added.
func trustKeys(cfg *config.Config, keys []ed25519.PublicKey) ([]string, error) {
	have := map[string]bool{}
	for _, entry := range cfg.PluginTrustedKeys {
		ks, err := plugins.TrustedKeys([]string{entry})
		if err != nil {
			continue // a broken entry is reported by status and the agent
		}
		for _, k := range ks {
			have[pack.KeyID(k)] = true
		}
	}
	var added []string
	for _, k := range keys {
		id := pack.KeyID(k)
		if have[id] {
			continue
		}
		p, err := pack.EncodePublicKey(k)
		if err != nil {
			return nil, err
		}
		cfg.PluginTrustedKeys = append(cfg.PluginTrustedKeys, string(p))
		have[id] = true
		added = append(added, id)
	}
	return added, nil
}

func keyIDs(keys []ed25519.PublicKey) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = pack.KeyID(k)
	}
	return strings.Join(ids, ", ")
}

// describeTrustedKeys lists the config's trusted keys for status: each id
// and where it comes from, or why an entry does not parse.
func describeTrustedKeys(entries []string) []string {
	var out []string
	for _, entry := range entries {
		where := "inline"
		if !strings.Contains(entry, "-----BEGIN") {
			where = entry
		}
		ks, err := plugins.TrustedKeys([]string{entry})
		if err != nil {
			out = append(out, fmt.Sprintf("(unreadable %s: %v)", where, err))
			continue
		}
		for _, k := range ks {
			out = append(out, pack.KeyID(k)+" ("+where+")")
		}
	}
	return out
}

// trustReloadEvery is how often a running agent re-reads its trusted keys.
var trustReloadEvery = 30 * time.Second

// reloadTrustedKeys re-reads the config's trusted keys every
// trustReloadEvery and hands a changed set to set (the plugin manager),
// so trust-key and untrust-key need no restart.
func reloadTrustedKeys(ctx context.Context, path string, current []string, set func([]ed25519.PublicKey), log hclog.Logger) {
	last := strings.Join(current, "\x00")
	t := time.NewTicker(trustReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cfg, err := config.Load(path)
		if err != nil {
			log.Debug("config not re-read for trusted keys", "error", err)
			continue
		}
		if now := strings.Join(cfg.PluginTrustedKeys, "\x00"); now != last {
			keys, err := plugins.TrustedKeys(cfg.PluginTrustedKeys)
			if err != nil {
				log.Error("cannot read the changed plugin trusted keys; keeping the previous ones", "error", err)
				continue
			}
			last = now
			set(keys)
		}
	}
}
