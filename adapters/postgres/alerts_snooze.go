package postgres

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Snooze sets or clears an unresolved alert's snooze and records it.
func (st alertStore) Snooze(ctx context.Context, s domain.Scope, id string, sn domain.AlertSnooze) (*domain.Alert, error) {
	ctx = tenant(ctx, s)
	if !storable(sn.Note) || len(sn.Note) > 4000 || !storable(sn.Actor) || len(sn.Actor) > 200 {
		return nil, domain.Invalidf("note or actor out of bounds")
	}
	at := stamp(sn.At)
	if sn.At.IsZero() {
		at = now()
	}
	action := domain.AlertActionSnoozed
	if sn.Until.IsZero() {
		action = domain.AlertActionUnsnoozed
	}
	var out *domain.Alert
	var stale error
	err := atomically(ctx, st.q, func(q querier) error {
		cur, err := getAlert(ctx, q, s, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if cur.State == domain.AlertResolved {
			out, stale = cur, domain.Conflictf("alert is %s", cur.State)
			return nil
		}
		out, err = scanAlert(q.QueryRow(ctx, "UPDATE alerts SET snoozed_until = $1, version = version + 1, updated_at = $2"+
			" WHERE id = $3 RETURNING "+alertCols, optStamp(sn.Until), at, id))
		if err != nil {
			return translate("snooze alert", err)
		}
		_, err = q.Exec(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at, action, until_at)"+
			" VALUES ($1, $2, $2, $3, $4, $5, $6, $7)", id, string(cur.State), sn.Actor, sn.Note, at, action, optStamp(sn.Until))
		return translate("record alert snooze", err)
	})
	if err != nil {
		return nil, err
	}
	return out, stale
}
