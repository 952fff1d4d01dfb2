package sqlite

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// NotificationGroups keeps storm grouping (see ports.NotificationGroupStore).
func (s *Store) NotificationGroups() ports.NotificationGroupStore { return notifyGroupStore{s} }

type notifyGroupStore struct{ s *Store }

var _ ports.NotificationGroupStore = notifyGroupStore{}

const memberCols = "route_id, alert_id, kind, reminder, org_id, rule_id, window_start, window_end, seq, grouped, digest_id"

func scanMember(r rowScanner) (*domain.GroupMember, error) {
	var m domain.GroupMember
	var start, end int64
	var grouped int
	if err := r.Scan(&m.RouteID, &m.AlertID, &m.Kind, &m.Reminder, &m.OrgID, &m.RuleID, &start, &end, &m.Seq, &grouped,
		&m.DigestID); err != nil {
		return nil, err
	}
	m.Start, m.End, m.Grouped = fromMicros(start), fromMicros(end), grouped == 1
	return &m, nil
}

func validWindow(w domain.GroupWindow) bool {
	return domain.ValidID(w.RouteID) && domain.ValidID(w.OrgID) && domain.ValidID(w.RuleID) && w.Kind != "" && !w.Start.IsZero() && w.End.After(w.Start)
}

// Join reads the next position and takes it under the one writer, so no
// two notifications get the same place. ("WHERE true" lets SQLite parse
// ON CONFLICT after INSERT … SELECT.)
func (gs notifyGroupStore) Join(ctx context.Context, m *domain.GroupMember, after int) (*domain.GroupMember, error) {
	if m == nil || !validWindow(m.GroupWindow) || !domain.ValidID(m.AlertID) || m.Reminder < 0 {
		return nil, domain.Invalidf("a group member names its window, alert and route")
	}
	var out *domain.GroupMember
	err := gs.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO notification_group_members ("+memberCols+")"+
			" SELECT ?1, ?2, ?3, ?4, ?9, ?5, ?6, ?7, n + 1, n + 1 > ?8, '' FROM (SELECT count(*) AS n FROM notification_group_members"+
			" WHERE route_id = ?1 AND org_id = ?9 AND rule_id = ?5 AND kind = ?3 AND window_start = ?6) WHERE true"+
			" ON CONFLICT (route_id, alert_id, kind, reminder) DO NOTHING",
			m.RouteID, m.AlertID, m.Kind, m.Reminder, m.RuleID, micros(m.Start), micros(m.End), after, m.OrgID)
		if err != nil {
			return failure{op: "join notification group", missing: "alert or route not found"}.wrap(err)
		}
		out, err = scanMember(q.QueryRowContext(ctx, "SELECT "+memberCols+" FROM notification_group_members"+
			" WHERE route_id = ? AND alert_id = ? AND kind = ? AND reminder = ?", m.RouteID, m.AlertID, m.Kind, m.Reminder))
		return failure{op: "read notification group member"}.wrap(err)
	})
	return out, err
}

func (gs notifyGroupStore) Claim(ctx context.Context, w domain.GroupWindow, digestID string) ([]*domain.GroupMember, error) {
	if !validWindow(w) || digestID == "" || len(digestID) > 200 || !utf8.ValidString(digestID) {
		return nil, domain.Invalidf("a claim names its window and digest")
	}
	var out []*domain.GroupMember
	err := gs.s.write(ctx, func(q queryer) error {
		if _, err := q.ExecContext(ctx, "UPDATE notification_group_members SET digest_id = ? WHERE route_id = ? AND rule_id = ?"+
			" AND kind = ? AND window_start = ? AND org_id = ? AND grouped = 1 AND digest_id = ''",
			digestID, w.RouteID, w.RuleID, w.Kind, micros(w.Start), w.OrgID); err != nil {
			return failure{op: "claim notification group"}.wrap(err)
		}
		var err error
		out, err = queryList(ctx, q, "SELECT "+memberCols+" FROM notification_group_members WHERE digest_id = ? ORDER BY seq",
			[]any{digestID}, scanMember)
		return err
	})
	return out, err
}

func (gs notifyGroupStore) Due(ctx context.Context, before time.Time, limit int) ([]domain.GroupWindow, error) {
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.MaxPageSize
	}
	return queryList(ctx, gs.s.read(ctx), "SELECT DISTINCT route_id, org_id, rule_id, kind, window_start, window_end"+
		" FROM notification_group_members WHERE grouped = 1 AND digest_id = '' AND window_end < ? ORDER BY window_end LIMIT ?",
		[]any{micros(before), limit}, func(r rowScanner) (domain.GroupWindow, error) {
			var w domain.GroupWindow
			var start, end int64
			err := r.Scan(&w.RouteID, &w.OrgID, &w.RuleID, &w.Kind, &start, &end)
			w.Start, w.End = fromMicros(start), fromMicros(end)
			return w, err
		})
}

func (gs notifyGroupStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := gs.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "DELETE FROM notification_group_members WHERE window_end < ?", micros(before))
		if err != nil {
			return failure{op: "prune notification groups"}.wrap(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
