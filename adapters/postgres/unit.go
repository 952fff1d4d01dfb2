package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

// checkUnit makes sure the scope unit of a grant or an API key — a site
// (partner, org and site ids), an org (partner and org), a partner, or with
// no ids the whole platform — exists, is covered by s, and is named with its
// true ancestors. Coverage is judged on the stored row, not on the ancestor
// ids the caller sent, so naming a covered org cannot smuggle in a site of
// another org: that is ErrNotFound, like any unit the scope does not cover.
// A covered unit named with the wrong ancestors is ErrInvalid.
func checkUnit(ctx context.Context, q querier, s domain.Scope, partnerID, orgID, siteID string) error {
	switch {
	case partnerID == "" && (orgID != "" || siteID != ""):
		return domain.Invalidf("a unit below the platform names its partner")
	case orgID == "" && siteID != "":
		return domain.Invalidf("a site unit names its organization")
	case partnerID == "":
		if !s.Global {
			return notFound("unit")
		}
		return nil
	}
	for _, id := range []string{partnerID, orgID, siteID} {
		if id != "" && !domain.ValidID(id) {
			return notFound("unit")
		}
	}
	var sql, what string
	var a args
	switch {
	case siteID != "":
		what, a = "site", args{siteID}
		sql = "SELECT partner_id, org_id FROM sites WHERE id = $1 AND " + siteScope.where(s, &a, "")
	case orgID != "":
		what, a = "organization", args{orgID}
		sql = "SELECT partner_id, id FROM organizations WHERE id = $1 AND " + orgWrite.where(s, &a, "")
	default:
		what, a = "partner", args{partnerID}
		sql = "SELECT id, ''::text FROM partners WHERE id = $1 AND " + partnerScope.where(s, &a, "")
	}
	var gotPartner, gotOrg string
	err := q.QueryRow(ctx, sql, a...).Scan(&gotPartner, &gotOrg)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what)
	}
	if err != nil {
		return translate("check unit", err)
	}
	if gotPartner != partnerID || gotOrg != orgID {
		return domain.Invalidf("the %s is not in the named organization or partner", what)
	}
	return nil
}
