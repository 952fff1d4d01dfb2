package sqlite

import (
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// scoper turns a scope into a SQL condition on one table's rows.
type scoper interface {
	where(s domain.Scope, prefix string, args *[]any) string
}

// scopeCols names the columns a table is scoped by; an empty name means the
// table has no such level (partners have no org; an org is its own org).
type scopeCols struct {
	partner, org, site string
	// orgViaSite: holders of one of the org's sites may read it (org reads).
	orgViaSite bool
}

var (
	partnerScope  = scopeCols{partner: "id"}
	orgWriteScope = scopeCols{partner: "partner_id", org: "id"}
	orgReadScope  = scopeCols{partner: "partner_id", org: "id", orgViaSite: true}
	siteScope     = scopeCols{partner: "partner_id", org: "org_id", site: "id"}
	tenantScope   = scopeCols{partner: "partner_id", org: "org_id", site: "site_id"} // groups, devices, grants, API keys
	// users and audit rows: the org's coverage when org_id is set, else the
	// partner's (a NULL or empty org_id never matches an id).
	userScope      = scopeCols{partner: "partner_id", org: "org_id"}
	auditScope     = scopeCols{partner: "partner_id", org: "org_id"}
	roleWriteScope = scopeCols{partner: "partner_id"} // built-in rows: see roleStore
)

// roleReadScope keeps the built-in roles for any non-empty scope, and a
// custom role when the scope touches its partner: the partner itself, or
// one of its orgs or sites.
type roleReadScope struct{}

func (roleReadScope) where(s domain.Scope, prefix string, args *[]any) string {
	if s.Global {
		return "1"
	}
	if s.Empty() {
		return "0"
	}
	terms := []string{prefix + "built_in = 1"}
	if ids := validIDs(s.PartnerIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id IN ("+placeholders(ids, args)+")")
	}
	if ids := validIDs(s.OrgIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id IN (SELECT partner_id FROM organizations WHERE id IN ("+placeholders(ids, args)+"))")
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id IN (SELECT partner_id FROM sites WHERE id IN ("+placeholders(ids, args)+"))")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// where returns a boolean SQL expression that keeps the rows scope s covers,
// appending the ids it compares with to args. prefix qualifies the columns
// ("d." or ""). Only placeholders enter the SQL text. Global is true, a scope
// that covers nothing false. Malformed ids are dropped: they match nothing.
func (c scopeCols) where(s domain.Scope, prefix string, args *[]any) string {
	if s.Global {
		return "1"
	}
	var terms []string
	if ids := validIDs(s.PartnerIDs); c.partner != "" && len(ids) > 0 {
		terms = append(terms, prefix+c.partner+" IN ("+placeholders(ids, args)+")")
	}
	if ids := validIDs(s.OrgIDs); c.org != "" && len(ids) > 0 {
		terms = append(terms, prefix+c.org+" IN ("+placeholders(ids, args)+")")
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		if c.site != "" {
			terms = append(terms, prefix+c.site+" IN ("+placeholders(ids, args)+")")
		}
		if c.orgViaSite {
			terms = append(terms, prefix+c.org+" IN (SELECT org_id FROM sites WHERE id IN ("+placeholders(ids, args)+"))")
		}
	}
	if len(terms) == 0 {
		return "0"
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// placeholders appends ids to args and returns "?, ?, ...".
func placeholders(ids []string, args *[]any) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		*args = append(*args, id)
	}
	return b.String()
}

// validIDs keeps the well-formed ids of list, without repeats.
func validIDs(list []string) []string {
	out := make([]string, 0, len(list))
	seen := make(map[string]struct{}, len(list))
	for _, id := range list {
		if _, dup := seen[id]; dup || !domain.ValidID(id) {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}
