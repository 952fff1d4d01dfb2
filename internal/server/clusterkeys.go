package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/jwt"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// Names of the shared secrets in the cluster_keys table.
const (
	clusterKeyJWT       = "jwt"
	clusterKeySecretBox = "secretbox"
)

// checkClusterKeys refuses to start a node whose secrets differ from those
// the deployment runs with: the first node records a fingerprint of each
// (the JWT key id tokens already carry; an HMAC of a label under the sealing
// key), and a node with another secret stops here with one line naming it,
// instead of answering 401 to the other nodes' sessions and failing to open
// sealed secrets later. On one node it catches a data directory restored
// without its keys. A JWT rotation passes: a node whose
// BREEZE_JWT_PREVIOUS_SECRETS hold the recorded key records its new one.
func checkClusterKeys(ctx context.Context, st ports.ClusterKeyStore, keys *jwt.KeySet, box *secretbox.Box, log hclog.Logger) error {
	node, _ := os.Hostname()
	now := time.Now().UTC().Truncate(time.Second)
	ids := keys.KeyIDs()
	mine := ports.ClusterKey{Name: clusterKeyJWT, Fingerprint: ids[0], SetAt: now, SetBy: node}
	got, err := st.Claim(ctx, mine)
	if err != nil {
		return fmt.Errorf("check the shared signing key: %w", err)
	}
	if got.Fingerprint != mine.Fingerprint && slices.Contains(ids[1:], got.Fingerprint) {
		ok, err := st.Replace(ctx, got.Fingerprint, mine)
		if err != nil {
			return fmt.Errorf("record the rotated signing key: %w", err)
		}
		if ok {
			log.Info("access-token signing key rotated", "key_id", mine.Fingerprint, "previous_key_id", got.Fingerprint)
			got = mine
		} else if got, err = st.Claim(ctx, mine); err != nil { // another node rotated first
			return fmt.Errorf("check the shared signing key: %w", err)
		}
	}
	if got.Fingerprint != mine.Fingerprint {
		return fmt.Errorf("%w: BREEZE_JWT_SECRET is not the one this deployment signs with (key id %s, recorded by %q at %s; "+
			"this node's is %s): give every node the same BREEZE_JWT_SECRET, or rotate it by setting the new one with the "+
			"old one in BREEZE_JWT_PREVIOUS_SECRETS", config.ErrConfig, got.Fingerprint, got.SetBy,
			got.SetAt.Format(time.RFC3339), mine.Fingerprint)
	}

	seal := ports.ClusterKey{Name: clusterKeySecretBox, Fingerprint: box.Fingerprint(), SetAt: now, SetBy: node}
	if got, err = st.Claim(ctx, seal); err != nil {
		return fmt.Errorf("check the shared sealing key: %w", err)
	}
	if got.Fingerprint != seal.Fingerprint {
		return fmt.Errorf("%w: BREEZE_PLUGIN_SECRET_KEY is not the key this deployment's secrets are sealed with "+
			"(fingerprint %s, recorded by %q at %s; this node's is %s): give every node the same BREEZE_PLUGIN_SECRET_KEY "+
			"(without it, each node uses DATA_DIR/%s, which then must be the same file)", config.ErrConfig,
			got.Fingerprint, got.SetBy, got.SetAt.Format(time.RFC3339), seal.Fingerprint, secretbox.KeyFileName)
	}
	return nil
}
