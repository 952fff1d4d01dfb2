package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// args collects bound parameters while a statement is assembled; add returns
// the placeholder for the value. Only placeholders ever enter the SQL text.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// scopeCols names the columns a table is scoped by; an empty name means the
// table has no such level (partners have no org, orgs are their own org).
type scopeCols struct {
	partner, org, site string
	// orgViaSite lets a holder of one of the org's sites read the org.
	orgViaSite string
}

var (
	partnerScope = scopeCols{partner: "id"}
	orgWrite     = scopeCols{partner: "partner_id", org: "id"}
	orgRead      = scopeCols{partner: "partner_id", org: "id", orgViaSite: "id"}
	siteScope    = scopeCols{partner: "partner_id", org: "org_id", site: "id"}
	tenantScope  = scopeCols{partner: "partner_id", org: "org_id", site: "site_id"} // groups, devices
	// Users have no site level: a site caller sees no users. A partner-level
	// user's org_id is NULL, which no org id matches.
	userScope = scopeCols{partner: "partner_id", org: "org_id"}
	// Grants and API keys are scoped by their unit; a global unit (all NULL)
	// is visible to the global scope only.
	unitScope = scopeCols{partner: "partner_id", org: "org_id", site: "site_id"}
	// A custom role is written by callers covering its partner; built-in
	// roles (NULL partner) match no partner id.
	roleWrite = scopeCols{partner: "partner_id"}
)

// roleRead limits roles to those s may read: every built-in role for a
// non-empty scope, and a custom role when the scope touches its partner (the
// partner itself, one of its orgs or one of its sites).
func roleRead(s domain.Scope, a *args, prefix string) string {
	switch {
	case s.Global:
		return "TRUE"
	case s.Empty():
		return "FALSE"
	}
	terms := []string{prefix + "partner_id IS NULL"}
	if ids := validIDs(s.PartnerIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id"+inIDs(a, ids))
	}
	if ids := validIDs(s.OrgIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id IN (SELECT partner_id FROM organizations WHERE id"+inIDs(a, ids)+")")
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		terms = append(terms, prefix+"partner_id IN (SELECT partner_id FROM sites WHERE id"+inIDs(a, ids)+")")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// auditRead limits audit rows to those s may read: a row with an org is
// visible to a scope covering the org (its partner or the org itself), a row
// with only a partner to a scope covering the partner, any other row to the
// global scope only. Site ids grant nothing here. The audit columns are text
// holding "" for none, and "" is never a valid id, so
// "partner_id IN P OR org_id IN O" states exactly that.
func auditRead(s domain.Scope, a *args) string {
	if s.Global {
		return "TRUE"
	}
	var terms []string
	if ids := validIDs(s.PartnerIDs); len(ids) > 0 {
		terms = append(terms, "partner_id"+inText(a, ids))
	}
	if ids := validIDs(s.OrgIDs); len(ids) > 0 {
		terms = append(terms, "org_id"+inText(a, ids))
	}
	if len(terms) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// inText is inIDs for a text column.
func inText(a *args, ids []string) string {
	if len(ids) == 1 {
		return " = " + a.add(ids[0])
	}
	return " = ANY(" + a.add(ids) + "::text[])"
}

// where returns a boolean SQL expression limiting rows to scope s. prefix
// qualifies the columns ("d." or ""). Global is TRUE; an empty scope FALSE.
// Malformed ids in the scope are dropped: they match nothing anyway and would
// otherwise make the uuid cast fail.
//
// A level holding one id (the usual grant) is written as an equality rather
// than = ANY(array): only an equality lets PostgreSQL walk an (x, id) index
// in id order for a keyset page.
func (c scopeCols) where(s domain.Scope, a *args, prefix string) string {
	if s.Global {
		return "TRUE"
	}
	var terms []string
	if ids := validIDs(s.PartnerIDs); c.partner != "" && len(ids) > 0 {
		terms = append(terms, prefix+c.partner+inIDs(a, ids))
	}
	if ids := validIDs(s.OrgIDs); c.org != "" && len(ids) > 0 {
		terms = append(terms, prefix+c.org+inIDs(a, ids))
	}
	if ids := validIDs(s.SiteIDs); len(ids) > 0 {
		if c.site != "" {
			terms = append(terms, prefix+c.site+inIDs(a, ids))
		}
		if c.orgViaSite != "" {
			terms = append(terms, prefix+c.orgViaSite+" IN (SELECT org_id FROM sites WHERE id"+inIDs(a, ids)+")")
		}
	}
	if len(terms) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// inIDs is " = $n" for one id and " = ANY($n)" for several.
func inIDs(a *args, ids []string) string {
	if len(ids) == 1 {
		return " = " + a.add(ids[0]) + "::uuid"
	}
	return " = ANY(" + a.add(ids) + "::uuid[])"
}

func validIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if domain.ValidID(id) {
			out = append(out, id)
		}
	}
	return out
}

// filterID adds "col = id" for a non-empty list filter; a malformed id
// matches nothing (it names no row) rather than failing the uuid cast.
func filterID(where []string, a *args, col, id string) []string {
	switch {
	case id == "":
		return where
	case !domain.ValidID(id):
		return append(where, "FALSE")
	default:
		return append(where, col+" = "+a.add(id)+"::uuid")
	}
}

// likePattern makes a case-insensitive substring pattern for ILIKE ... ESCAPE '\'
// in which %, _ and \ typed by the user are literal.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// pageQuery appends the cursor condition and ordering for a keyset page and
// returns the normalised request. It reads one row more than the page to know
// whether another page follows.
func pageQuery(page domain.PageRequest, a *args, where []string) (string, domain.PageRequest, error) {
	page = page.Normalize()
	after, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return "", page, err
	}
	if after != "" {
		where = append(where, "id > "+a.add(after)+"::uuid")
	}
	return " WHERE " + strings.Join(where, " AND ") + " ORDER BY id LIMIT " + a.add(page.Limit+1), page, nil
}

// finishPage trims the extra row read by pageQuery and sets NextCursor.
func finishPage[T any](items []T, limit int, id func(T) string) domain.Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return domain.Page[T]{Items: items}
	}
	items = items[:limit]
	return domain.Page[T]{Items: items, NextCursor: domain.EncodeCursor(id(items[limit-1]))}
}

// now is the write timestamp: UTC at the microsecond precision PostgreSQL keeps,
// so the value returned to the caller equals the one read back later.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nullID maps "" to SQL NULL for optional references.
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}
