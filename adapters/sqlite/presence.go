package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type presenceStore struct{ s *Store }

// markSQL is the UPDATE of one presence change. Presence is no edit: it
// leaves version and updated_at alone, so an admin's optimistic edit does
// not go stale every heartbeat. last_seen_at never goes back, and a NULL
// (zero) time leaves it as it is.
const markSQL = "UPDATE devices SET status = ?, last_seen_at = coalesce(max(last_seen_at, ?), last_seen_at, ?) WHERE id = ?"

// Mark applies every update in one transaction, through one prepared
// statement per IfStatus shape. Updates naming unknown devices or whose
// IfStatus does not match change nothing.
func (ps presenceStore) Mark(ctx context.Context, updates []domain.PresenceUpdate) error {
	for i, u := range updates {
		if !u.Status.Valid() {
			return domain.Invalidf("presence update %d: unknown device status %q", i, u.Status)
		}
		for _, st := range u.IfStatus {
			if !st.Valid() {
				return domain.Invalidf("presence update %d: unknown device status %q", i, st)
			}
		}
	}
	if len(updates) == 0 {
		return nil
	}
	return ps.s.write(ctx, func(q queryer) error {
		for _, u := range updates {
			if !domain.ValidID(u.DeviceID) {
				continue
			}
			seen := nullMicros(u.LastSeenAt)
			args := []any{string(u.Status), seen, seen, u.DeviceID}
			query := markSQL
			if len(u.IfStatus) > 0 {
				query += " AND status IN (?" + strings.Repeat(", ?", len(u.IfStatus)-1) + ")"
				for _, st := range u.IfStatus {
					args = append(args, string(st))
				}
			}
			if _, err := q.ExecContext(ctx, query, args...); err != nil {
				return failure{op: "mark presence"}.wrap(err)
			}
		}
		return nil
	})
}

// StaleOnline walks the partial index of online devices by last_seen_at
// (devices_online_seen_idx, named: without statistics the planner prefers
// the status index and sorts every online device). An online device never
// seen at all (NULL) counts as stale, and comes first. Network devices are
// left out: their watchers set their presence.
func (ps presenceStore) StaleOnline(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := ps.s.read(ctx).QueryContext(ctx, "SELECT id FROM devices INDEXED BY devices_online_seen_idx WHERE status = 'online' AND kind = 'agent' AND"+
		" coalesce(last_seen_at, 0) < ? ORDER BY coalesce(last_seen_at, 0), id LIMIT ?", micros(cutoff), limit)
	if err != nil {
		return nil, failure{op: "list stale devices"}.wrap(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, failure{op: "list stale devices"}.wrap(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "list stale devices"}.wrap(err)
	}
	return ids, nil
}

var _ ports.PresenceStore = presenceStore{}
