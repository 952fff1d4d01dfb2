package sqlite

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// AlertDefaults remembers the orgs given the default alert rules (see
// ports.AlertDefaultsStore).
func (s *Store) AlertDefaults() ports.AlertDefaultsStore { return alertDefaultsStore{s} }

type alertDefaultsStore struct{ s *Store }

var _ ports.AlertDefaultsStore = alertDefaultsStore{}

func (ds alertDefaultsStore) Claim(ctx context.Context, orgID string, at time.Time) (bool, error) {
	if !domain.ValidID(orgID) {
		return false, notFound("organization")
	}
	claimed := false
	err := ds.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "INSERT INTO alert_defaults_seeded (org_id, seeded_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING",
			orgID, micros(at))
		if err != nil {
			return failure{op: "claim alert defaults", missing: "organization not found"}.wrap(err)
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

func (ds alertDefaultsStore) Unclaimed(ctx context.Context, limit int) ([]string, error) {
	if limit <= 0 {
		limit = domain.MaxPageSize
	}
	return queryList(ctx, ds.s.read(ctx), "SELECT o.id FROM organizations AS o"+
		" WHERE NOT EXISTS (SELECT 1 FROM alert_defaults_seeded AS s WHERE s.org_id = o.id) ORDER BY o.id LIMIT ?",
		[]any{limit}, func(row rowScanner) (string, error) {
			var id string
			return id, row.Scan(&id)
		})
}
