package sqlite

import (
	"context"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Snooze sets or clears an unresolved alert's snooze and records it.
func (as alertStore) Snooze(ctx context.Context, s domain.Scope, id string, sn domain.AlertSnooze) (*domain.Alert, error) {
	if !utf8.ValidString(sn.Note) || len(sn.Note) > 4000 || len(sn.Actor) > 200 {
		return nil, domain.Invalidf("note or actor out of bounds")
	}
	at := now()
	if !sn.At.IsZero() {
		at = sn.At.UTC().Truncate(1000)
	}
	action := domain.AlertActionSnoozed
	if sn.Until.IsZero() {
		action = domain.AlertActionUnsnoozed
	}
	var out *domain.Alert
	var stale error
	err := as.s.write(ctx, func(q queryer) error {
		cur, err := alertsTable.get(ctx, q, s, id)
		if err != nil {
			return err
		}
		if cur.State == domain.AlertResolved {
			out, stale = cur, domain.Conflictf("alert is %s", cur.State)
			return nil
		}
		out, err = scanAlert(q.QueryRowContext(ctx, "UPDATE alerts SET snoozed_until = ?, version = version + 1, updated_at = ?"+
			" WHERE id = ? RETURNING "+alertCols, nullMicros(sn.Until), micros(at), id))
		if err != nil {
			return failure{op: "snooze alert"}.wrap(err)
		}
		_, err = q.ExecContext(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at, action, until_at)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, string(cur.State), string(cur.State), sn.Actor, sn.Note, micros(at), action,
			nullMicros(sn.Until))
		return failure{op: "record alert snooze"}.wrap(err)
	})
	if err != nil {
		return nil, err
	}
	return out, stale
}
