package pluginserver

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// TrustedKeys are the keys a plugin's signature may verify with: the
// configured ones (BREEZE_PLUGIN_TRUSTED_KEYS, read at start) and those
// trusted in the database from the dashboard or the CLI (read at every
// verification, so trusting or untrusting takes effect at once on every
// node). Installs, the unpacking on other nodes and the catalog's
// pre-download check all ask here.
func (p *Packages) TrustedKeys(ctx context.Context) ([]ed25519.PublicKey, error) {
	out := append([]ed25519.PublicKey(nil), p.Trusted...)
	if p.DBKeys == nil {
		return out, nil
	}
	rows, err := p.DBKeys.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("pluginserver: trusted keys: %w", err)
	}
	for _, r := range rows {
		k, err := catalog.DecodeKey(r.PublicKey)
		if err != nil || pack.KeyID(k) != r.KeyID {
			continue // a row that does not decode to its own id trusts nothing
		}
		out = append(out, k)
	}
	return out, nil
}

// TrustedKeyIDs is the set of the trusted keys' ids.
func (p *Packages) TrustedKeyIDs(ctx context.Context) (map[string]bool, error) {
	keys, err := p.TrustedKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[pack.KeyID(k)] = true
	}
	return out, nil
}
