package sqlite

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// ClusterKeys keeps the shared secrets' fingerprints (see ports.ClusterKeyStore).
func (s *Store) ClusterKeys() ports.ClusterKeyStore { return clusterKeyStore{s} }

type clusterKeyStore struct{ s *Store }

var _ ports.ClusterKeyStore = clusterKeyStore{}

func (cs clusterKeyStore) Claim(ctx context.Context, k ports.ClusterKey) (ports.ClusterKey, error) {
	if k.Name == "" || k.Fingerprint == "" {
		return ports.ClusterKey{}, domain.Invalidf("a cluster key needs a name and a fingerprint")
	}
	var out ports.ClusterKey
	err := cs.s.write(ctx, func(q queryer) error {
		if _, err := q.ExecContext(ctx, "INSERT INTO cluster_keys (name, fingerprint, set_at, set_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
			k.Name, k.Fingerprint, micros(k.SetAt), k.SetBy); err != nil {
			return failure{op: "claim cluster key"}.wrap(err)
		}
		var at int64
		if err := q.QueryRowContext(ctx, "SELECT name, fingerprint, set_at, set_by FROM cluster_keys WHERE name = ?", k.Name).
			Scan(&out.Name, &out.Fingerprint, &at, &out.SetBy); err != nil {
			return failure{op: "read cluster key"}.wrap(err)
		}
		out.SetAt = fromMicros(at)
		return nil
	})
	return out, err
}

func (cs clusterKeyStore) Replace(ctx context.Context, old string, k ports.ClusterKey) (bool, error) {
	if k.Name == "" || k.Fingerprint == "" {
		return false, domain.Invalidf("a cluster key needs a name and a fingerprint")
	}
	done := false
	err := cs.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE cluster_keys SET fingerprint = ?, set_at = ?, set_by = ? WHERE name = ? AND fingerprint = ?",
			k.Fingerprint, micros(k.SetAt), k.SetBy, k.Name, old)
		if err != nil {
			return failure{op: "replace cluster key"}.wrap(err)
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	return done, err
}
