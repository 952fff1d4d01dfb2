package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// cmdTrustReleaseKey adds an agent release public key (base64, as
// `breeze release keygen` writes it in NAME.pub; or the path of that file)
// to the config's releaseKeys: the agents enrolled before the deployment
// had a release key, and key rotations. A running agent reads the config
// at each update offer.
func cmdTrustReleaseKey(_ context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("trust-release-key")
	names, err := e.parseArgs(fs, args, cfgFlag, level)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return errors.New("name one release public key: its base64, or the NAME.pub file breeze release keygen wrote")
	}
	key := strings.TrimSpace(names[0])
	if _, err := protocol.ParseReleaseKey(key); err != nil {
		raw, ferr := os.ReadFile(key)
		if ferr != nil {
			return fmt.Errorf("%w (and no file %q: %v)", err, protocol.Abbrev(key, 60), ferr)
		}
		key = strings.TrimSpace(string(raw))
		if _, err := protocol.ParseReleaseKey(key); err != nil {
			return err
		}
	}
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	for _, k := range cfg.ReleaseKeys {
		if strings.TrimPrefix(strings.TrimSpace(k), "ed25519:") == strings.TrimPrefix(key, "ed25519:") {
			fmt.Fprintln(e.stdout, "already trusted")
			return nil
		}
	}
	cfg.ReleaseKeys = append(cfg.ReleaseKeys, key)
	if err := config.Save(e.configPath, cfg); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "trusted the agent release key; a running agent uses it at its next update offer")
	return nil
}
