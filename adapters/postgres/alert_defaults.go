package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// AlertDefaults remembers the orgs given the default alert rules (see
// ports.AlertDefaultsStore).
func (s *Store) AlertDefaults() ports.AlertDefaultsStore { return alertDefaultsStore{q: s.q} }

type alertDefaultsStore struct{ q querier }

var _ ports.AlertDefaultsStore = alertDefaultsStore{}

func (st alertDefaultsStore) Claim(ctx context.Context, orgID string, at time.Time) (bool, error) {
	ctx = oneOrg(ctx, orgID)
	if !domain.ValidID(orgID) {
		return false, domain.NotFoundf("organization not found")
	}
	tag, err := st.q.Exec(ctx, `INSERT INTO alert_defaults_seeded (org_id, seeded_at) VALUES ($1, $2)
		ON CONFLICT (org_id) DO NOTHING`, orgID, at.UTC())
	if err != nil {
		return false, translate("claim alert defaults", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (st alertDefaultsStore) Unclaimed(ctx context.Context, limit int) ([]string, error) {
	ctx = system(ctx)
	if limit <= 0 {
		limit = domain.MaxPageSize
	}
	return queryAll(ctx, st.q, `SELECT o.id FROM organizations AS o
		WHERE NOT EXISTS (SELECT 1 FROM alert_defaults_seeded AS s WHERE s.org_id = o.id)
		ORDER BY o.id LIMIT $1`, args{limit}, func(row pgx.Row) (string, error) {
		var id string
		return id, row.Scan(&id)
	})
}
