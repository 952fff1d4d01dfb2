package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// NotificationGroups keeps storm grouping (see ports.NotificationGroupStore).
func (s *Store) NotificationGroups() ports.NotificationGroupStore { return notifyGroupStore{q: s.q} }

type notifyGroupStore struct{ q querier }

var _ ports.NotificationGroupStore = notifyGroupStore{}

const memberCols = "route_id, alert_id, kind, reminder, org_id, rule_id, window_start, window_end, seq, grouped, digest_id"

func scanMember(row pgx.Row) (*domain.GroupMember, error) {
	var m domain.GroupMember
	if err := row.Scan(&m.RouteID, &m.AlertID, &m.Kind, &m.Reminder, &m.OrgID, &m.RuleID, &m.Start, &m.End, &m.Seq, &m.Grouped,
		&m.DigestID); err != nil {
		return nil, err
	}
	m.Start, m.End = m.Start.UTC(), m.End.UTC()
	return &m, nil
}

func validWindow(w domain.GroupWindow) bool {
	return domain.ValidID(w.RouteID) && domain.ValidID(w.OrgID) && domain.ValidID(w.RuleID) && w.Kind != "" && !w.Start.IsZero() && w.End.After(w.Start)
}

// joinRetries bounds the retries of a position taken by a racing node.
const joinRetries = 50

func (st notifyGroupStore) Join(ctx context.Context, m *domain.GroupMember, after int) (*domain.GroupMember, error) {
	ctx = system(ctx)
	if m == nil || !validWindow(m.GroupWindow) || !domain.ValidID(m.AlertID) || m.Reminder < 0 {
		return nil, domain.Invalidf("a group member names its window, alert and route")
	}
	for range joinRetries {
		// The next position is read and taken in one statement; two nodes
		// taking the same one collide on the unique position and the loser
		// reads again.
		_, err := st.q.Exec(ctx, `INSERT INTO notification_group_members (`+memberCols+`)
			SELECT $1, $2, $3, $4, $9, $5, $6, $7, n + 1, n + 1 > $8, '' FROM (SELECT count(*) AS n FROM notification_group_members
				WHERE route_id = $1 AND org_id = $9 AND rule_id = $5 AND kind = $3 AND window_start = $6) c
			ON CONFLICT (route_id, alert_id, kind, reminder) DO NOTHING`,
			m.RouteID, m.AlertID, m.Kind, m.Reminder, m.RuleID, stamp(m.Start), stamp(m.End), after, m.OrgID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "notification_group_members_seq_key" {
			continue
		}
		if errors.As(err, &pgErr) && pgErr.Code == codeForeignKeyViolation {
			return nil, notFound("alert or route")
		}
		if err != nil {
			return nil, translate("join notification group", err)
		}
		out, err := scanMember(st.q.QueryRow(ctx, "SELECT "+memberCols+" FROM notification_group_members"+
			" WHERE route_id = $1 AND alert_id = $2 AND kind = $3 AND reminder = $4", m.RouteID, m.AlertID, m.Kind, m.Reminder))
		if err != nil {
			return nil, translate("read notification group member", err)
		}
		return out, nil
	}
	return nil, errors.New("postgres: join notification group: too many racing joins")
}

func (st notifyGroupStore) Claim(ctx context.Context, w domain.GroupWindow, digestID string) ([]*domain.GroupMember, error) {
	ctx = system(ctx)
	if !validWindow(w) || digestID == "" || len(digestID) > 200 || !storable(digestID) {
		return nil, domain.Invalidf("a claim names its window and digest")
	}
	if _, err := st.q.Exec(ctx, `UPDATE notification_group_members SET digest_id = $5
		WHERE route_id = $1 AND rule_id = $2 AND kind = $3 AND window_start = $4 AND org_id = $6 AND grouped
			AND digest_id = ''`,
		w.RouteID, w.RuleID, w.Kind, stamp(w.Start), digestID, w.OrgID); err != nil {
		return nil, translate("claim notification group", err)
	}
	return queryAll(ctx, st.q, "SELECT "+memberCols+" FROM notification_group_members WHERE digest_id = $1 ORDER BY seq",
		args{digestID}, scanMember)
}

func (st notifyGroupStore) Due(ctx context.Context, before time.Time, limit int) ([]domain.GroupWindow, error) {
	ctx = system(ctx)
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.MaxPageSize
	}
	return queryAll(ctx, st.q, `SELECT DISTINCT route_id, org_id, rule_id, kind, window_start, window_end FROM notification_group_members
		WHERE grouped AND digest_id = '' AND window_end < $1 ORDER BY window_end LIMIT $2`, args{stamp(before), limit},
		func(row pgx.Row) (domain.GroupWindow, error) {
			var w domain.GroupWindow
			err := row.Scan(&w.RouteID, &w.OrgID, &w.RuleID, &w.Kind, &w.Start, &w.End)
			w.Start, w.End = w.Start.UTC(), w.End.UTC()
			return w, err
		})
}

func (st notifyGroupStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	ctx = system(ctx)
	tag, err := st.q.Exec(ctx, "DELETE FROM notification_group_members WHERE window_end < $1", stamp(before))
	if err != nil {
		return 0, translate("prune notification groups", err)
	}
	return tag.RowsAffected(), nil
}
