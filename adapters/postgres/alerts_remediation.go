package postgres

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ClaimRemediation marks the alert's remediation started unless it has
// one, or another alert of its (rule, device) ran one after since.
func (st alertStore) ClaimRemediation(ctx context.Context, id string, at, since time.Time) (bool, error) {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return false, notFound("alert")
	}
	a := args{id, stamp(at), domain.RemediationPending}
	period := ""
	if !since.IsZero() {
		// A failed remediation that never started (no run, no command) is no run.
		period = " AND NOT EXISTS (SELECT 1 FROM alerts o WHERE o.rule_id = alerts.rule_id AND o.device_id = alerts.device_id" +
			" AND o.id <> alerts.id AND o.remediation_at > " + a.add(stamp(since)) +
			" AND (o.remediation_status IN ('pending', 'started', 'succeeded') OR (o.remediation_status = 'failed'" +
			" AND (o.remediation_run_id <> '' OR o.remediation_command_id <> ''))))"
	}
	tag, err := st.q.Exec(ctx, "UPDATE alerts SET remediation_status = $3, remediation_at = $2, remediation_command_id = '',"+
		" remediation_run_id = '' WHERE id = $1 AND remediation_status = ''"+period, a...)
	if err != nil {
		return false, translate("claim alert remediation", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	if _, err := getAlert(ctx, st.q, domain.GlobalScope(), id, ""); err != nil {
		return false, err
	}
	return false, nil
}

// RecordRemediation sets the alert's latest remediation and notes it in
// the history.
func (st alertStore) RecordRemediation(ctx context.Context, id string, r domain.AlertRemediation, note string) (*domain.Alert, error) {
	ctx = system(ctx)
	if !storable(note) || len(note) > 4000 || len(r.Status) > 32 || !storable(r.CommandID+r.ScriptRunID) ||
		len(r.CommandID) > 100 || len(r.ScriptRunID) > 100 {
		return nil, domain.Invalidf("remediation status, ids or note out of bounds")
	}
	at := now()
	var out *domain.Alert
	err := atomically(ctx, st.q, func(q querier) error {
		cur, err := getAlert(ctx, q, domain.GlobalScope(), id, " FOR UPDATE")
		if err != nil {
			return err
		}
		out, err = scanAlert(q.QueryRow(ctx, "UPDATE alerts SET remediation_status = $1, remediation_command_id = $2,"+
			" remediation_run_id = $3, remediation_at = $4, version = version + 1, updated_at = $5 WHERE id = $6 RETURNING "+alertCols,
			r.Status, r.CommandID, r.ScriptRunID, optStamp(r.At), at, id))
		if err != nil {
			return translate("record alert remediation", err)
		}
		_, err = q.Exec(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at, action)"+
			" VALUES ($1, $2, $2, $3, $4, $5, $6)", id, string(cur.State), domain.AlertActorSystem, note, at, domain.AlertActionRemediation)
		return translate("record alert remediation", err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
