package sqlite

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ClaimRemediation marks the alert's remediation started unless it has
// one, or another alert of its (rule, device) ran one after since.
func (as alertStore) ClaimRemediation(ctx context.Context, id string, at, since time.Time) (bool, error) {
	if !domain.ValidID(id) {
		return false, notFound("alert")
	}
	query := "UPDATE alerts SET remediation_status = ?, remediation_at = ?, remediation_command_id = '', remediation_run_id = ''" +
		" WHERE id = ? AND remediation_status = ''"
	args := []any{domain.RemediationPending, micros(at.UTC().Truncate(1000)), id}
	if !since.IsZero() {
		// A failed remediation that never started (no run, no command) is no run.
		query += " AND NOT EXISTS (SELECT 1 FROM alerts o WHERE o.rule_id = alerts.rule_id AND o.device_id = alerts.device_id" +
			" AND o.id <> alerts.id AND o.remediation_at > ?" +
			" AND (o.remediation_status IN ('pending', 'started', 'succeeded') OR (o.remediation_status = 'failed'" +
			" AND (o.remediation_run_id <> '' OR o.remediation_command_id <> ''))))"
		args = append(args, micros(since.UTC().Truncate(1000)))
	}
	claimed := false
	err := as.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return failure{op: "claim alert remediation"}.wrap(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return failure{op: "claim alert remediation"}.wrap(err)
		}
		if n == 1 {
			claimed = true
			return nil
		}
		_, err = alertsTable.get(ctx, q, domain.GlobalScope(), id)
		return err
	})
	return claimed, err
}

// RecordRemediation sets the alert's latest remediation and notes it in
// the history.
func (as alertStore) RecordRemediation(ctx context.Context, id string, r domain.AlertRemediation, note string) (*domain.Alert, error) {
	if !utf8.ValidString(note) || len(note) > 4000 || len(r.Status) > 32 || len(r.CommandID) > 100 || len(r.ScriptRunID) > 100 {
		return nil, domain.Invalidf("remediation status, ids or note out of bounds")
	}
	at := micros(now())
	var out *domain.Alert
	err := as.s.write(ctx, func(q queryer) error {
		cur, err := alertsTable.get(ctx, q, domain.GlobalScope(), id)
		if err != nil {
			return err
		}
		out, err = scanAlert(q.QueryRowContext(ctx, "UPDATE alerts SET remediation_status = ?, remediation_command_id = ?,"+
			" remediation_run_id = ?, remediation_at = ?, version = version + 1, updated_at = ? WHERE id = ? RETURNING "+alertCols,
			r.Status, r.CommandID, r.ScriptRunID, nullMicros(r.At), at, id))
		if err != nil {
			return failure{op: "record alert remediation"}.wrap(err)
		}
		_, err = q.ExecContext(ctx, "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, note, at, action)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?)", id, string(cur.State), string(cur.State), domain.AlertActorSystem, note, at,
			domain.AlertActionRemediation)
		return failure{op: "record alert remediation"}.wrap(err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
