package postgres

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// ClusterKeys keeps the shared secrets' fingerprints (see ports.ClusterKeyStore).
func (s *Store) ClusterKeys() ports.ClusterKeyStore { return clusterKeyStore{q: s.q} }

type clusterKeyStore struct{ q querier }

var _ ports.ClusterKeyStore = clusterKeyStore{}

func (st clusterKeyStore) Claim(ctx context.Context, k ports.ClusterKey) (ports.ClusterKey, error) {
	ctx = system(ctx)
	if k.Name == "" || k.Fingerprint == "" {
		return ports.ClusterKey{}, domain.Invalidf("a cluster key needs a name and a fingerprint")
	}
	// The insert and the read are one statement: two nodes starting together
	// both read the winner's row.
	var out ports.ClusterKey
	err := st.q.QueryRow(ctx, `WITH ins AS (
			INSERT INTO cluster_keys (name, fingerprint, set_at, set_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO NOTHING RETURNING name, fingerprint, set_at, set_by)
		SELECT name, fingerprint, set_at, set_by FROM ins
		UNION ALL SELECT name, fingerprint, set_at, set_by FROM cluster_keys WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
		k.Name, k.Fingerprint, k.SetAt.UTC(), k.SetBy).Scan(&out.Name, &out.Fingerprint, &out.SetAt, &out.SetBy)
	if err != nil {
		return ports.ClusterKey{}, translate("claim cluster key", err)
	}
	out.SetAt = out.SetAt.UTC()
	return out, nil
}

func (st clusterKeyStore) Replace(ctx context.Context, old string, k ports.ClusterKey) (bool, error) {
	ctx = system(ctx)
	if k.Name == "" || k.Fingerprint == "" {
		return false, domain.Invalidf("a cluster key needs a name and a fingerprint")
	}
	tag, err := st.q.Exec(ctx, `UPDATE cluster_keys SET fingerprint = $3, set_at = $4, set_by = $5
		WHERE name = $1 AND fingerprint = $2`, k.Name, old, k.Fingerprint, k.SetAt.UTC(), k.SetBy)
	if err != nil {
		return false, translate("replace cluster key", err)
	}
	return tag.RowsAffected() == 1, nil
}
