package api_test

// The isolation matrix of issue 3, table-driven in the spirit of FleetDM's
// server/authz/policy_test.go: for every seeded role (at partner A, org A1
// and site S(A1); Platform Admin for the in-scope half) and every resource
// type, every read, list, update, delete and create, against an object at
// every place of the two-partner world. The expectation of each case is
// computed, not listed: the role's permissions (domain.BuiltInRoles) decide
// 403, and the tenancy rule written out in isoCaller.covers decides 404
// against success. Out-of-scope answers must also be indistinguishable from
// those for an id that does not exist, must change nothing, and must be
// audited as denied under the caller's own tenant.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// resources is the table of the matrix.
func (w *isoWorld) resources() []*isoResource {
	all := domain.GlobalScope()
	st := w.ts.Store
	a, b := w.a, w.b
	want := func(ok bool) int {
		if ok {
			return http.StatusCreated
		}
		return http.StatusNotFound
	}
	rnd := domain.NewID
	tenantPlace := func(m map[string]any) (place, bool) {
		return place{Partner: str(m, "partnerId"), Org: str(m, "orgId"), Site: str(m, "siteId")}, false
	}
	// own is the unit a caller acts in when it creates something for itself.
	own := func(c *isoCaller) place {
		if c.level == atSite {
			return w.sA1
		}
		return w.oA1
	}
	unitBody := func(p place) map[string]any {
		switch {
		case p.Site != "":
			return map[string]any{"siteId": p.Site}
		case p.Org != "":
			return map[string]any{"orgId": p.Org}
		}
		return map[string]any{"partnerId": p.Partner}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	// randomUnit names a random id at the most specific level of body.
	randomUnit := func(body map[string]any) map[string]any {
		for _, k := range []string{"siteId", "orgId", "partnerId"} {
			if _, ok := body[k]; ok {
				return with(body, k, rnd())
			}
		}
		return body
	}
	noName := func(list func() ([]string, error), name string) func(t *testing.T) bool {
		return func(t *testing.T) bool {
			names, err := list()
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if n == name {
					return false
				}
			}
			return true
		}
	}
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	orgNames := func(q string) func() ([]string, error) {
		return func() ([]string, error) {
			p, err := st.Orgs().List(context.Background(), all, ports.OrgFilter{Query: q}, page)
			var out []string
			for _, o := range p.Items {
				out = append(out, o.Name)
			}
			return out, err
		}
	}
	siteNames := func(q string) func() ([]string, error) {
		return func() ([]string, error) {
			p, err := st.Sites().List(context.Background(), all, ports.SiteFilter{Query: q}, page)
			var out []string
			for _, s := range p.Items {
				out = append(out, s.Name)
			}
			return out, err
		}
	}
	groupNames := func(q string) func() ([]string, error) {
		return func() ([]string, error) {
			p, err := st.DeviceGroups().List(context.Background(), all, ports.DeviceGroupFilter{Query: q}, page)
			var out []string
			for _, g := range p.Items {
				out = append(out, g.Name)
			}
			return out, err
		}
	}
	allOf := func(list func(domain.PageRequest) ([]string, string, error)) func() ([]string, error) {
		return func() ([]string, error) {
			var out []string
			pr := page
			for {
				names, next, err := list(pr)
				if err != nil {
					return nil, err
				}
				out = append(out, names...)
				if next == "" {
					return out, nil
				}
				pr.Cursor = next
			}
		}
	}
	partnerNames := allOf(func(pr domain.PageRequest) ([]string, string, error) {
		p, err := st.Partners().List(context.Background(), all, pr)
		var out []string
		for _, x := range p.Items {
			out = append(out, x.Name)
		}
		return out, p.NextCursor, err
	})
	roleNames := allOf(func(pr domain.PageRequest) ([]string, string, error) {
		p, err := st.Roles().List(context.Background(), all, pr)
		var out []string
		for _, x := range p.Items {
			out = append(out, x.Name)
		}
		return out, p.NextCursor, err
	})
	keyNames := allOf(func(pr domain.PageRequest) ([]string, string, error) {
		p, err := st.APIKeys().List(context.Background(), all, pr)
		var out []string
		for _, x := range p.Items {
			out = append(out, x.Name)
		}
		return out, p.NextCursor, err
	})
	grantsOf := func(userID string) int {
		gs, err := st.RoleAssignments().GrantsOf(context.Background(), userID)
		if err != nil {
			panic(err)
		}
		return len(gs)
	}
	orgPlaces := []place{w.oA1, w.oA2, w.oB1}
	sitePlaces := []place{w.sA1, w.sA2, w.sB1}
	allPlaces := []place{w.pA, w.oA1, w.sA1, w.oA2, w.sA2, w.pB, w.oB1, w.sB1}

	return []*isoResource{
		{
			name: "partners", read: domain.PermPartnersRead, write: domain.PermPartnersWrite, get: true, patch: true, del: true,
			itemPlace: func(m map[string]any) (place, bool) { return place{Partner: str(m, "id")}, false },
			load:      func(ctx context.Context, id string) (any, error) { return st.Partners().Get(ctx, all, id) },
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				// Only the platform owner adds partners: a Partner Admin's
				// partners:write is for its own partner (403, not a scope miss).
				name := w.uniq("Iso partner")
				status := http.StatusForbidden
				if c.level == atGlobal {
					status = http.StatusCreated
				}
				return []isoCreate{{label: "(a new partner)", body: map[string]any{"name": name}, want: status,
					at: place{Partner: newObj}, absent: noName(partnerNames, name)}}
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				if c.level != atGlobal {
					return "", place{}, false // a partner-level caller has no partner to spare
				}
				p := &domain.Partner{Name: w.uniq("Iso spare partner")}
				if err := st.Partners().Create(context.Background(), all, p); err != nil {
					t.Fatal(err)
				}
				return p.ID, place{Partner: p.ID}, true
			},
		},
		{
			name: "orgs", read: domain.PermOrgsRead, write: domain.PermOrgsWrite, get: true, patch: true, del: true,
			itemPlace: func(m map[string]any) (place, bool) {
				return place{Partner: str(m, "partnerId"), Org: str(m, "id")}, false
			},
			load:    func(ctx context.Context, id string) (any, error) { return st.Orgs().Get(ctx, all, id) },
			filters: []isoFilter{{"partnerId", a.Partner.ID, "partnerId"}, {"partnerId", b.Partner.ID, "partnerId"}},
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				for _, p := range []place{w.pA, w.pB} {
					name := w.uniq("Iso org")
					at := place{Partner: p.Partner, Org: newObj}
					body := map[string]any{"partnerId": p.Partner, "name": name}
					out = append(out, isoCreate{label: "under partner " + w.name(p), body: body, twin: randomUnit(body),
						want: want(c.covers(at)), at: at, absent: noName(orgNames(name), name)})
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				if c.level != atGlobal && c.level != atPartner {
					return "", place{}, false // an org's holder has no org to spare
				}
				o := &domain.Organization{PartnerID: a.Partner.ID, Name: w.uniq("Iso spare org")}
				if err := st.Orgs().Create(context.Background(), all, o); err != nil {
					t.Fatal(err)
				}
				return o.ID, place{Partner: o.PartnerID, Org: o.ID}, true
			},
		},
		{
			name: "sites", read: domain.PermSitesRead, write: domain.PermSitesWrite, get: true, patch: true, del: true,
			itemPlace: func(m map[string]any) (place, bool) {
				return place{Partner: str(m, "partnerId"), Org: str(m, "orgId"), Site: str(m, "id")}, false
			},
			load:    func(ctx context.Context, id string) (any, error) { return st.Sites().Get(ctx, all, id) },
			filters: []isoFilter{{"orgId", w.oA1.Org, "orgId"}, {"orgId", w.oA2.Org, "orgId"}, {"orgId", w.oB1.Org, "orgId"}},
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				for _, p := range orgPlaces {
					name := w.uniq("Iso site")
					at := place{Partner: p.Partner, Org: p.Org, Site: newObj}
					body := map[string]any{"orgId": p.Org, "name": name}
					out = append(out, isoCreate{label: "in org " + w.name(p), body: body, twin: randomUnit(body),
						want: want(c.covers(at)), at: at, absent: noName(siteNames(name), name)})
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				if c.level == atSite {
					return "", place{}, false
				}
				s := &domain.Site{OrgID: w.oA1.Org, Name: w.uniq("Iso spare site")}
				if err := st.Sites().Create(context.Background(), all, s); err != nil {
					t.Fatal(err)
				}
				return s.ID, place{Partner: s.PartnerID, Org: s.OrgID, Site: s.ID}, true
			},
		},
		{
			name: "device-groups", read: domain.PermGroupsRead, write: domain.PermGroupsWrite, get: true, patch: true, del: true,
			itemPlace: tenantPlace,
			load:      func(ctx context.Context, id string) (any, error) { return st.DeviceGroups().Get(ctx, all, id) },
			filters: []isoFilter{{"orgId", w.oA1.Org, "orgId"}, {"orgId", w.oA2.Org, "orgId"}, {"orgId", w.oB1.Org, "orgId"},
				{"siteId", w.sA1.Site, "siteId"}, {"siteId", w.sA2.Site, "siteId"}, {"siteId", w.sB1.Site, "siteId"}},
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				add := func(label string, body map[string]any, at place) {
					name := w.uniq("Iso group")
					body = with(body, "name", name)
					out = append(out, isoCreate{label: label, body: body, twin: randomUnit(body),
						want: want(c.covers(at)), at: at, absent: noName(groupNames(name), name)})
				}
				for _, p := range sitePlaces {
					add("in site "+w.name(p), map[string]any{"siteId": p.Site}, p)
				}
				for _, p := range orgPlaces {
					add("org-wide in "+w.name(p), map[string]any{"orgId": p.Org}, p)
				}
				if c.level != atGlobal {
					add("in site S(B1) claimed to be in A1", map[string]any{"orgId": w.oA1.Org, "siteId": w.sB1.Site}, w.sB1)
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				g := &domain.DeviceGroup{SiteID: w.sA1.Site, Name: w.uniq("Iso spare group")}
				if err := st.DeviceGroups().Create(context.Background(), all, g); err != nil {
					t.Fatal(err)
				}
				return g.ID, w.sA1, true
			},
		},
		{
			name: "users", read: domain.PermUsersRead, write: domain.PermUsersWrite, get: true, patch: true, del: true,
			itemPlace: tenantPlace,
			load:      func(ctx context.Context, id string) (any, error) { return st.Users().Get(ctx, all, id) },
			filters:   []isoFilter{{"orgId", w.oA1.Org, "orgId"}, {"orgId", w.oA2.Org, "orgId"}, {"orgId", w.oB1.Org, "orgId"}},
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				add := func(label string, body map[string]any, at place) {
					email := strings.ReplaceAll(w.uniq("iso"), " ", "") + "@example.test"
					body = with(body, "email", email, "name", "Iso user", "password", "an isolation password")
					absent := func(t *testing.T) bool {
						_, err := st.Users().GetByEmail(context.Background(), email)
						return errors.Is(err, domain.ErrNotFound)
					}
					out = append(out, isoCreate{label: label, body: body, twin: randomUnit(body),
						want: want(c.covers(at)), at: at, absent: absent})
				}
				for _, p := range []place{w.pA, w.pB} {
					add("as staff of partner "+w.name(p), map[string]any{"partnerId": p.Partner}, p)
				}
				for _, p := range orgPlaces {
					add("as staff of org "+w.name(p), map[string]any{"orgId": p.Org}, p)
				}
				if c.level != atGlobal {
					add("in org B1 claimed to be in partner A", map[string]any{"partnerId": a.Partner.ID, "orgId": w.oB1.Org}, w.oB1)
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				if c.level == atSite {
					return "", place{}, false // users belong to orgs and partners, never to a site
				}
				u := w.newStaff(t)
				return u.ID, w.oA1, true
			},
		},
		{
			name: "roles", read: domain.PermRolesRead, write: domain.PermRolesWrite, get: true, patch: true, del: true,
			itemPlace: func(m map[string]any) (place, bool) {
				return place{Partner: str(m, "partnerId")}, m["builtIn"] == true
			},
			load: func(ctx context.Context, id string) (any, error) { return st.Roles().Get(ctx, all, id) },
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				for _, p := range []place{w.pA, w.pB} {
					name := w.uniq("Iso role")
					body := map[string]any{"partnerId": p.Partner, "name": name, "permissions": []string{domain.PermOrgsRead}}
					out = append(out, isoCreate{label: "in partner " + w.name(p), body: body, twin: randomUnit(body),
						want: want(c.covers(p)), at: p, absent: noName(roleNames, name)})
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				if c.level != atGlobal && c.level != atPartner {
					return "", place{}, false // custom roles live at partner level
				}
				r := &domain.Role{PartnerID: a.Partner.ID, Name: w.uniq("Iso spare role"), Permissions: []domain.Permission{domain.PermOrgsRead}}
				if err := st.Roles().Create(context.Background(), all, r); err != nil {
					t.Fatal(err)
				}
				return r.ID, w.pA, true
			},
		},
		{
			name: "role-assignments", read: domain.PermUsersRead, write: domain.PermUsersWrite, get: true, del: true,
			itemPlace: tenantPlace,
			load:      func(ctx context.Context, id string) (any, error) { return st.RoleAssignments().Get(ctx, all, id) },
			filters: []isoFilter{{"userId", w.uA.ID, "userId"}, {"userId", w.uB.ID, "userId"}, {"userId", w.uA1.ID, "userId"},
				{"userId", w.uA2.ID, "userId"}, {"userId", w.uB1.ID, "userId"},
				{"roleId", w.roleA, "roleId"}, {"roleId", w.roleB, "roleId"}},
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				// add grants role to user at unit; userAt is where the user
				// lives. The expected refusal names the first thing out of
				// reach, and the twin swaps exactly that for a random id.
				add := func(label string, unit place, user apitest.User, userAt place, roleID string, roleOK bool, extra ...any) {
					body := with(unitBody(unit), "userId", user.ID, "roleId", roleID)
					body = with(body, extra...)
					var twin map[string]any
					switch {
					case !c.covers(unit):
						twin = randomUnit(body)
						if len(extra) > 0 { // the mismatched id is the unreachable one
							twin = with(body, extra[len(extra)-2], rnd())
						}
					case !roleOK:
						twin = with(body, "roleId", rnd())
					case !c.covers(userAt):
						twin = with(body, "userId", rnd())
					}
					n := grantsOf(user.ID)
					out = append(out, isoCreate{label: label, body: body, twin: twin,
						want: want(c.covers(unit) && roleOK && c.covers(userAt)), at: unit,
						absent: func(t *testing.T) bool { return grantsOf(user.ID) == n }})
				}
				for _, p := range allPlaces {
					if p.Partner == a.Partner.ID {
						add("of Org Viewer at "+w.name(p)+" to new A1 staff", p, w.newStaff(t), w.oA1, domain.RoleOrgViewer, true)
					} else {
						u := w.ts.NewUser(t, "", b.OrgUnit(0), "")
						add("of Org Viewer at "+w.name(p)+" to new B1 staff", p, u, w.oB1, domain.RoleOrgViewer, true)
					}
				}
				if c.level == atGlobal {
					return out
				}
				home := own(c)
				bStaff := w.ts.NewUser(t, "", b.OrgUnit(0), "")
				add("at "+w.name(home)+" to B1 staff", home, bStaff, w.oB1, domain.RoleOrgViewer, true)
				if c.level != atPartner {
					add("at "+w.name(home)+" to A2 staff", home, w.uA2, w.oA2, domain.RoleOrgViewer, true)
				}
				add("of B's custom role at "+w.name(home), home, w.newStaff(t), w.oA1, w.roleB, false)
				// Ancestors that disagree, naming the other tenant's unit.
				add("at site S(B1) claimed to be in A1", w.sB1, w.newStaff(t), w.oA1, domain.RoleOrgViewer, true,
					"orgId", w.oA1.Org, "siteId", w.sB1.Site)
				add("at org B1 claimed to be in partner A", w.oB1, w.newStaff(t), w.oA1, domain.RoleOrgViewer, true,
					"partnerId", a.Partner.ID, "orgId", w.oB1.Org)
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				u := w.newStaff(t)
				at := own(c)
				g := &domain.RoleAssignment{UserID: u.ID, RoleID: domain.RoleOrgViewer, PartnerID: at.Partner, OrgID: at.Org, SiteID: at.Site}
				if err := st.RoleAssignments().Create(context.Background(), all, g); err != nil {
					t.Fatal(err)
				}
				return g.ID, at, true
			},
		},
		{
			name: "api-keys", read: domain.PermAPIKeysRead, write: domain.PermAPIKeysWrite, get: true, del: true,
			itemPlace: tenantPlace,
			load:      func(ctx context.Context, id string) (any, error) { return st.APIKeys().Get(ctx, all, id) },
			creates: func(t *testing.T, c *isoCaller) []isoCreate {
				var out []isoCreate
				add := func(label string, body map[string]any, at place, twin map[string]any) {
					name := w.uniq("Iso key")
					body = with(body, "name", name, "permissions", []string{domain.PermSitesRead})
					if twin == nil {
						twin = randomUnit(body)
					} else {
						twin = with(twin, "name", name, "permissions", []string{domain.PermSitesRead})
					}
					out = append(out, isoCreate{label: label, body: body, twin: twin,
						want: want(c.covers(at)), at: at, absent: noName(keyNames, name)})
				}
				for _, p := range allPlaces {
					add("at "+w.name(p), unitBody(p), p, nil)
				}
				if c.level != atGlobal {
					add("at site S(B1) claimed to be in A1", map[string]any{"orgId": w.oA1.Org, "siteId": w.sB1.Site}, w.sB1,
						map[string]any{"orgId": w.oA1.Org, "siteId": rnd()})
					add("at org B1 claimed to be in partner A", map[string]any{"partnerId": a.Partner.ID, "orgId": w.oB1.Org}, w.oB1,
						map[string]any{"partnerId": a.Partner.ID, "orgId": rnd()})
				}
				return out
			},
			disposable: func(t *testing.T, c *isoCaller) (string, place, bool) {
				at := c.home
				if c.level == atGlobal {
					at = w.pA
				}
				return w.newKey(t, a.Admin.ID, at, w.uniq("Iso spare key")).ID, at, true
			},
		},
		{
			name: "audit-logs", read: domain.PermAuditRead,
			itemPlace: func(m map[string]any) (place, bool) {
				return place{Partner: str(m, "partnerId"), Org: str(m, "orgId")}, false
			},
			filters: []isoFilter{{"orgId", w.oA1.Org, "orgId"}, {"orgId", w.oA2.Org, "orgId"}, {"orgId", w.oB1.Org, "orgId"},
				{"actorId", a.Admin.ID, "actorId"}, {"actorId", b.Admin.ID, "actorId"},
				{"resourceId", w.fixtures["audit-logs"][1].attrs["resourceId"], "resourceId"}, // the row at A1
				{"resourceId", w.fixtures["audit-logs"][4].attrs["resourceId"], "resourceId"}, // the row at B1
				{"action", isoAuditAction, "action"}},
		},
	}
}
