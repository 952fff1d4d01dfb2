package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Scripts, alert rules and notification routes belong to an org or are
// shared partner-wide (org_id NULL); these helpers read them the same way.

// getShared reads one such row by id within the caller's read scope; what
// names it in errors ("script", "alert rule").
func getShared[T any](ctx context.Context, q querier, what, cols, table, id string, s domain.Scope, scan func(pgx.Row) (T, error)) (T, error) {
	var zero T
	if !domain.ValidID(id) {
		return zero, notFound(what)
	}
	a := args{id}
	v, err := scan(q.QueryRow(ctx, "SELECT "+cols+" FROM "+table+" WHERE id = $1 AND "+scriptRead(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, notFound(what)
	}
	if err != nil {
		return zero, translate("get "+what, err)
	}
	return v, nil
}

// seenByOrg narrows a list of such rows to what one org sees: its own and
// its partner's shared ones. An empty orgID narrows nothing (""), a
// malformed one matches nothing.
func seenByOrg(orgID string, a *args) string {
	switch {
	case orgID == "":
		return ""
	case !domain.ValidID(orgID):
		return "FALSE"
	}
	org := a.add(orgID)
	return "(org_id = " + org + "::uuid OR (org_id IS NULL AND partner_id =" +
		" (SELECT partner_id FROM organizations WHERE id = " + org + "::uuid)))"
}
