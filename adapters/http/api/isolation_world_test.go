package api_test

// The world of the isolation matrix (isolation_test.go): the seeded tenants
// with one object of every resource type at every place that can hold one,
// the callers (one per seeded role and grant level), and the bookkeeping
// that lets the matrix check the audit log once at the end.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// isoAuditAction marks the audit rows the world plants.
const isoAuditAction = "isolation.fixture"

// isoLevel is the unit a caller's one grant sits at.
type isoLevel int

const (
	atGlobal isoLevel = iota
	atPartner
	atOrg
	atSite
)

// place locates a row in the tenant tree; the fields below its level are
// empty (an org-wide group has no Site, a partner's staff no Org).
type place struct{ Partner, Org, Site string }

// newObj stands for the id of an object a create would make: it equals no
// real id, so no org or site grant covers it.
const newObj = "(new)"

// isoCaller is a user holding one seeded role at one unit.
type isoCaller struct {
	name  string
	level isoLevel
	home  place // the grant's unit
	perms map[domain.Permission]bool
	user  apitest.User
	token string
}

// holds reports whether the role has perm (domain.BuiltInRoles decides).
func (c *isoCaller) holds(perm domain.Permission) bool { return c.perms[perm] }

// covers is the tenancy rule written out independently of the product: a
// partner grant covers its partner's rows, an org grant the rows of its org
// (its sites included), a site grant the rows of its site.
func (c *isoCaller) covers(p place) bool {
	switch c.level {
	case atGlobal:
		return true
	case atPartner:
		return p.Partner == c.home.Partner
	case atOrg:
		return p.Org == c.home.Org
	default:
		return p.Site == c.home.Site
	}
}

// isoFixture is one object of the world.
type isoFixture struct {
	label   string
	id      string
	at      place
	builtIn bool              // a built-in role (no tenant)
	attrs   map[string]string // the JSON fields list filters compare with
}

// isoMutation is a mutating request the matrix sent, to find its audit row.
type isoMutation struct {
	reqID      string
	caller     *isoCaller
	action     string // the route name, e.g. orgs.update
	resourceID string // the :id aimed at, if any
	status     int
}

type isoWorld struct {
	ts   *apitest.TestServer
	a, b apitest.Tenant

	pA, oA1, sA1, oA2, sA2, pB, oB1, sB1 place

	// Fixture users: partner staff of A and B, org staff of A1, A2 and B1.
	uA, uB, uA1, uA2, uB1 apitest.User
	roleA, roleB          string // custom roles of A and B

	fixtures map[string][]isoFixture // by resource path segment
	callers  []*isoCaller

	seq   atomic.Int64 // request ids and unique names
	cases atomic.Int64 // checked answers

	mu   sync.Mutex
	muts []isoMutation
}

func orgPlace(tn apitest.Tenant, i int) place {
	return place{Partner: tn.Partner.ID, Org: tn.Orgs[i].ID}
}

func sitePlace(tn apitest.Tenant, i int) place {
	return place{Partner: tn.Partner.ID, Org: tn.Orgs[i].ID, Site: tn.Sites[i].ID}
}

// newIsoWorld builds the server, plants the fixtures with the global scope
// (straight into the store, so the API under test plays no part in them) and
// signs every caller in once.
func newIsoWorld(t *testing.T, pg bool) *isoWorld {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
	ctx, all := context.Background(), domain.GlobalScope()
	a, b := ts.Seed.A, ts.Seed.B
	w := &isoWorld{ts: ts, a: a, b: b, fixtures: map[string][]isoFixture{}}
	w.pA, w.pB = place{Partner: a.Partner.ID}, place{Partner: b.Partner.ID}
	w.oA1, w.sA1, w.oA2, w.sA2 = orgPlace(a, 0), sitePlace(a, 0), orgPlace(a, 1), sitePlace(a, 1)
	w.oB1, w.sB1 = orgPlace(b, 0), sitePlace(b, 0)
	add := func(res string, f isoFixture) { w.fixtures[res] = append(w.fixtures[res], f) }
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("isolation world: %s: %v", what, err)
		}
	}
	orgs := []struct {
		label string
		at    place
	}{{"A1", w.oA1}, {"A2", w.oA2}, {"B1", w.oB1}}
	sites := []struct {
		label string
		at    place
	}{{"S(A1)", w.sA1}, {"S(A2)", w.sA2}, {"S(B1)", w.sB1}}

	add("partners", isoFixture{label: "partner A", id: a.Partner.ID, at: w.pA})
	add("partners", isoFixture{label: "partner B", id: b.Partner.ID, at: w.pB})
	for _, o := range orgs {
		add("orgs", isoFixture{label: "org " + o.label, id: o.at.Org, at: o.at,
			attrs: map[string]string{"partnerId": o.at.Partner}})
	}
	for _, s := range sites {
		add("sites", isoFixture{label: "site " + s.label, id: s.at.Site, at: s.at,
			attrs: map[string]string{"orgId": s.at.Org}})
	}

	// Device groups: one in each site, one org-wide in each org.
	for _, s := range sites {
		g := &domain.DeviceGroup{SiteID: s.at.Site, Name: "Iso group of " + s.label}
		must("create group", ts.Store.DeviceGroups().Create(ctx, all, g))
		add("device-groups", isoFixture{label: "group in " + s.label, id: g.ID, at: s.at,
			attrs: map[string]string{"orgId": s.at.Org, "siteId": s.at.Site}})
	}
	for _, o := range orgs {
		g := &domain.DeviceGroup{OrgID: o.at.Org, Name: "Iso org-wide group of " + o.label}
		must("create group", ts.Store.DeviceGroups().Create(ctx, all, g))
		add("device-groups", isoFixture{label: "org-wide group of " + o.label, id: g.ID, at: o.at,
			attrs: map[string]string{"orgId": o.at.Org, "siteId": ""}})
	}

	// Custom roles.
	for _, r := range []struct {
		label string
		at    place
		id    *string
	}{{"A", w.pA, &w.roleA}, {"B", w.pB, &w.roleB}} {
		role := &domain.Role{PartnerID: r.at.Partner, Name: "Iso custom role " + r.label,
			Permissions: []domain.Permission{domain.PermOrgsRead}}
		must("create role", ts.Store.Roles().Create(ctx, all, role))
		*r.id = role.ID
		add("roles", isoFixture{label: "custom role of " + r.label, id: role.ID, at: r.at})
	}
	add("roles", isoFixture{label: "built-in Org Viewer", id: domain.RoleOrgViewer, builtIn: true})

	// Users, each with a grant at their own unit, and the org staff with one
	// more at their org's site (a custom role where one exists).
	w.uA = ts.NewUser(t, domain.RolePartnerViewer, a.PartnerUnit(), "")
	w.uB = ts.NewUser(t, domain.RolePartnerViewer, b.PartnerUnit(), "")
	w.uA1 = ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	w.uA2 = ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(1), "")
	w.uB1 = ts.NewUser(t, domain.RoleOrgViewer, b.OrgUnit(0), "")
	for _, g := range []struct {
		user, role string
		at         place
	}{{w.uA1.ID, w.roleA, w.sA1}, {w.uA2.ID, domain.RoleOrgViewer, w.sA2}, {w.uB1.ID, w.roleB, w.sB1}} {
		must("site grant", ts.Store.RoleAssignments().Create(ctx, all, &domain.RoleAssignment{
			UserID: g.user, RoleID: g.role, PartnerID: g.at.Partner, OrgID: g.at.Org, SiteID: g.at.Site}))
	}
	for _, u := range []struct {
		label string
		user  apitest.User
	}{{"partner A staff", w.uA}, {"partner B staff", w.uB}, {"A1 staff", w.uA1}, {"A2 staff", w.uA2}, {"B1 staff", w.uB1}} {
		at := place{Partner: u.user.PartnerID, Org: u.user.OrgID}
		add("users", isoFixture{label: u.label, id: u.user.ID, at: at, attrs: map[string]string{"orgId": at.Org}})
		page, err := ts.Store.RoleAssignments().List(ctx, all, ports.RoleAssignmentFilter{UserID: u.user.ID},
			domain.PageRequest{Limit: domain.MaxPageSize})
		must("list grants", err)
		for _, g := range page.Items {
			gp := place{Partner: g.PartnerID, Org: g.OrgID, Site: g.SiteID}
			add("role-assignments", isoFixture{label: fmt.Sprintf("grant of %s at %s", u.label, w.name(gp)), id: g.ID,
				at: gp, attrs: map[string]string{"userId": g.UserID, "roleId": g.RoleID}})
		}
	}

	// API keys at every place, owned by the tenant's admin.
	for _, p := range []place{w.pA, w.oA1, w.sA1, w.oA2, w.sA2, w.pB, w.oB1, w.sB1} {
		owner := a.Admin.ID
		if p.Partner == b.Partner.ID {
			owner = b.Admin.ID
		}
		k := w.newKey(t, owner, p, "Iso key at "+w.name(p))
		add("api-keys", isoFixture{label: "key at " + w.name(p), id: k.ID, at: p})
	}

	// Audit rows at every place a row can sit (rows carry no site).
	for _, p := range []place{w.pA, w.oA1, w.oA2, w.pB, w.oB1} {
		actor := a.Admin.ID
		if p.Partner == b.Partner.ID {
			actor = b.Admin.ID
		}
		e := &domain.AuditEntry{ActorType: "user", ActorID: actor, Action: isoAuditAction, ResourceType: "organization",
			ResourceID: domain.NewID(), PartnerID: p.Partner, OrgID: p.Org, Outcome: domain.OutcomeSuccess}
		must("append audit row", ts.Store.Audit().Append(ctx, e))
		add("audit-logs", isoFixture{label: "audit row at " + w.name(p), id: e.ID, at: p, attrs: map[string]string{
			"orgId": p.Org, "actorId": actor, "resourceId": e.ResourceID, "action": isoAuditAction}})
	}

	w.callers = w.newCallers(t)
	return w
}

// newCallers makes one user per seeded role and grant level and signs each
// in once (argon2id is slow on purpose).
func (w *isoWorld) newCallers(t *testing.T) []*isoCaller {
	t.Helper()
	perms := map[string]map[domain.Permission]bool{}
	names := map[string]string{}
	for _, r := range domain.BuiltInRoles() {
		perms[r.ID] = map[domain.Permission]bool{}
		for _, p := range r.Permissions {
			perms[r.ID][p] = true
		}
		names[r.ID] = r.Name
	}
	a := w.a
	specs := []struct {
		role  string
		level isoLevel
		unit  domain.Unit
		at    string
	}{
		{domain.RolePlatformAdmin, atGlobal, domain.Unit{}, "global"},
		{domain.RolePartnerAdmin, atPartner, a.PartnerUnit(), "A"},
		{domain.RolePartnerTechnician, atPartner, a.PartnerUnit(), "A"},
		{domain.RolePartnerViewer, atPartner, a.PartnerUnit(), "A"},
		{domain.RoleOrgAdmin, atOrg, a.OrgUnit(0), "A1"},
		{domain.RoleOrgTechnician, atOrg, a.OrgUnit(0), "A1"},
		{domain.RoleOrgViewer, atOrg, a.OrgUnit(0), "A1"},
		{domain.RoleOrgAdmin, atSite, a.SiteUnit(0), "S(A1)"},
		{domain.RoleOrgTechnician, atSite, a.SiteUnit(0), "S(A1)"},
		{domain.RoleOrgViewer, atSite, a.SiteUnit(0), "S(A1)"},
	}
	var out []*isoCaller
	for _, s := range specs {
		u := w.ts.NewUser(t, s.role, s.unit, a.Partner.ID)
		out = append(out, &isoCaller{
			name: names[s.role] + "@" + s.at, level: s.level, perms: perms[s.role], user: u,
			home:  place{Partner: s.unit.PartnerID, Org: s.unit.OrgID, Site: s.unit.SiteID},
			token: w.ts.Login(t, u.Email, u.Password),
		})
	}
	return out
}

// name labels a place for messages.
func (w *isoWorld) name(p place) string {
	label := map[string]string{
		w.a.Partner.ID: "A", w.b.Partner.ID: "B",
		w.a.Orgs[0].ID: "A1", w.a.Orgs[1].ID: "A2", w.b.Orgs[0].ID: "B1", w.b.Orgs[1].ID: "B2",
		w.a.Sites[0].ID: "S(A1)", w.a.Sites[1].ID: "S(A2)", w.b.Sites[0].ID: "S(B1)", w.b.Sites[1].ID: "S(B2)",
	}
	for _, id := range []string{p.Site, p.Org, p.Partner} {
		if id == "" {
			continue
		}
		if l, ok := label[id]; ok {
			return l
		}
		return id
	}
	return "global"
}

// uniq returns a fresh name.
func (w *isoWorld) uniq(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, w.seq.Add(1))
}

// newKey stores an API key (sites:read) at p.
func (w *isoWorld) newKey(t *testing.T, owner string, p place, name string) *domain.APIKey {
	t.Helper()
	secret := auth.NewSecret(auth.APIKeyPrefix)
	k := &domain.APIKey{UserID: owner, PartnerID: p.Partner, OrgID: p.Org, SiteID: p.Site, Name: name,
		Prefix: secret[:12], SecretHash: auth.HashSecret(secret), Permissions: []domain.Permission{domain.PermSitesRead}}
	if err := w.ts.Store.APIKeys().Create(context.Background(), domain.GlobalScope(), k); err != nil {
		t.Fatalf("isolation world: create key: %v", err)
	}
	return k
}

// newStaff stores a user of org A1 without any role (cheap: no hashing).
func (w *isoWorld) newStaff(t *testing.T) apitest.User {
	t.Helper()
	return w.ts.NewUser(t, "", w.a.OrgUnit(0), "")
}

// call sends one request as c. Mutating requests carry a fresh request id
// and are recorded so their audit rows can be checked at the end.
func (w *isoWorld) call(t *testing.T, c *isoCaller, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var h http.Header
	reqID := ""
	if method != http.MethodGet {
		reqID = fmt.Sprintf("iso-%d", w.seq.Add(1))
		h = http.Header{"X-Request-Id": {reqID}}
	}
	rec := w.ts.Request(t, method, api.Prefix+path, c.token, body, h)
	w.cases.Add(1)
	if reqID != "" {
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		m := isoMutation{reqID: reqID, caller: c, status: rec.Code,
			action: segs[0] + "." + map[string]string{http.MethodPost: "create", http.MethodPatch: "update", http.MethodDelete: "delete"}[method]}
		if len(segs) > 1 {
			m.resourceID = segs[1]
		}
		w.mu.Lock()
		w.muts = append(w.muts, m)
		w.mu.Unlock()
	}
	return rec.Code, apitest.DecodeJSON(t, rec)
}

// list reads every page of a list as token; on a non-200 answer it returns
// the status and that answer.
func (w *isoWorld) list(t *testing.T, token, path string, q url.Values) (int, []map[string]any, map[string]any) {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "500")
	var items []map[string]any
	for range 100 {
		st, body := w.ts.Do(t, http.MethodGet, api.Prefix+path+"?"+q.Encode(), token, nil)
		w.cases.Add(1)
		if st != http.StatusOK {
			return st, nil, body
		}
		raw, ok := body["items"].([]any)
		if !ok {
			t.Fatalf("GET %s?%s: no items array: %v", path, q.Encode(), body)
		}
		for _, it := range raw {
			items = append(items, it.(map[string]any))
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			return st, items, body
		}
		q.Set("cursor", next)
	}
	t.Fatalf("GET %s: more than 100 pages", path)
	return 0, nil, nil
}

// str reads a string field of a JSON object ("" when absent).
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
