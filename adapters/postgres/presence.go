package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type presenceStore struct{ q querier }

var _ ports.PresenceStore = presenceStore{}

// markSQL applies one round of presence updates in one statement. The inner
// query locks the target devices in id order before anything is written, so
// two batches (or a batch and Telemetry.Write, which locks the same way)
// queue on each other instead of deadlocking. IfStatus travels as a
// comma-joined list (the statuses are validated, so none holds a comma); NULL
// means any status. last_seen_at only moves forward (greatest ignores NULL),
// and a row already in the wanted state is not rewritten. version and
// updated_at are left alone: presence is not an edit, so it never makes an
// administrator's pending optimistic update stale.
const markSQL = `UPDATE devices d SET status = x.status, last_seen_at = greatest(d.last_seen_at, x.seen)
	FROM (SELECT dd.id, u.status, u.seen
		FROM devices dd
		JOIN unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS u (id, status, seen, if_status)
			ON dd.id = u.id
		WHERE u.if_status IS NULL OR dd.status = ANY (string_to_array(u.if_status, ','))
		ORDER BY dd.id
		FOR NO KEY UPDATE OF dd) x
	WHERE d.id = x.id AND (d.status <> x.status OR x.seen > d.last_seen_at
		OR (d.last_seen_at IS NULL AND x.seen IS NOT NULL))`

// markRound is one statement's worth of updates: each device at most once.
type markRound struct {
	ids      [][16]byte // binary: pgx would parse string ids one by one
	statuses []string
	ifStatus []*string    // nil: any status
	seen     []*time.Time // nil: keep last_seen_at
}

func (r *markRound) add(u domain.PresenceUpdate) {
	r.ids = append(r.ids, uuidBytes(u.DeviceID))
	r.statuses = append(r.statuses, string(u.Status))
	var seen *time.Time
	if !u.LastSeenAt.IsZero() {
		t := stamp(u.LastSeenAt)
		seen = &t
	}
	r.seen = append(r.seen, seen)
	var ifs *string
	if len(u.IfStatus) > 0 {
		parts := make([]string, len(u.IfStatus))
		for i, s := range u.IfStatus {
			parts[i] = string(s)
		}
		j := strings.Join(parts, ",")
		ifs = &j
	}
	r.ifStatus = append(r.ifStatus, ifs)
}

// Mark applies the updates in order, in one transaction. Updates of one
// device that appear several times go into successive statements (rounds),
// so each sees the status the previous one left, exactly as if applied one
// by one. Malformed or unknown device ids are skipped; an unknown status is
// ErrInvalid and nothing is written.
func (st presenceStore) Mark(ctx context.Context, updates []domain.PresenceUpdate) error {
	ctx = system(ctx)
	var rounds []*markRound
	seen := make(map[string]int, len(updates)) // device → rounds it is in
	for _, u := range updates {
		if !u.Status.Valid() {
			return domain.Invalidf("unknown device status %q", u.Status)
		}
		for _, s := range u.IfStatus {
			if !s.Valid() {
				return domain.Invalidf("unknown device status %q", s)
			}
		}
		if !domain.ValidID(u.DeviceID) {
			continue
		}
		n := seen[u.DeviceID]
		seen[u.DeviceID] = n + 1
		if n == len(rounds) {
			rounds = append(rounds, &markRound{})
		}
		rounds[n].add(u)
	}
	apply := func(q querier) error {
		for _, r := range rounds {
			if _, err := q.Exec(ctx, markSQL, r.ids, r.statuses, r.seen, r.ifStatus); err != nil {
				return translate("mark presence", err)
			}
		}
		return nil
	}
	switch len(rounds) {
	case 0:
		return nil
	case 1: // one statement is atomic by itself
		return apply(st.q)
	default:
		return atomically(ctx, st.q, apply)
	}
}

// StaleOnline lists up to limit agent devices marked online that were last
// seen before cutoff (or never), the longest silent first (a network
// device's presence is its watchers' to set). It reads the devices
// table without an index on last_seen_at on purpose: such an index would make
// every heartbeat's last_seen_at update a non-HOT update that writes every
// index of the table, while the sweeper's scan runs once in a while.
func (st presenceStore) StaleOnline(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	ctx = system(ctx)
	if limit <= 0 {
		return []string{}, nil
	}
	ids, err := queryAll(ctx, st.q, `SELECT id::text FROM devices
		WHERE status = 'online' AND kind = 'agent' AND (last_seen_at IS NULL OR last_seen_at < $1)
		ORDER BY last_seen_at NULLS FIRST, id LIMIT $2`, args{stamp(cutoff), limit}, scanString)
	if err != nil {
		return nil, translate("list stale devices", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
