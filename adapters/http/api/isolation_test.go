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
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// isoResource describes one resource type of the API for the matrix.
type isoResource struct {
	name        string // path segment under /api/v1
	read, write domain.Permission
	get         bool // has GET /:id
	patch       bool // has PATCH /:id (every PATCH takes name and version)
	del         bool // has DELETE /:id
	// itemPlace locates an item of a list or a created object's answer.
	itemPlace func(m map[string]any) (at place, builtIn bool)
	// load reads a row with the global scope (nil for the audit log).
	load    func(ctx context.Context, id string) (any, error)
	filters []isoFilter
	// creates returns the POST cases for c, with the answer expected when c
	// holds the write permission.
	creates func(t *testing.T, c *isoCaller) []isoCreate
	// disposable stores an object c may update and delete.
	disposable func(t *testing.T, c *isoCaller) (id string, at place, ok bool)
}

// isoFilter is a list query parameter compared with an item field.
type isoFilter struct{ param, value, field string }

// isoCreate is one POST case.
type isoCreate struct {
	label string
	body  map[string]any
	// twin is the same request naming a random id in place of the one that
	// makes it fail: both must get the same answer (no existence oracle).
	twin   map[string]any
	want   int
	at     place                   // where a 201 must have put the object
	absent func(t *testing.T) bool // reports that nothing was created
}

// The matrix runs on both storage adapters: scoping lives in SQL, so each
// adapter must prove it.
func TestIsolationMatrix(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { isolationMatrix(t, false) })
	t.Run("postgres", func(t *testing.T) { isolationMatrix(t, true) })
}

func isolationMatrix(t *testing.T, pg bool) {
	start := time.Now()
	w := newIsoWorld(t, pg)
	resources := w.resources()
	before := w.snapshot(t, resources)
	setup := time.Since(start)

	t.Run("matrix", func(t *testing.T) {
		for _, c := range w.callers {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				for _, r := range resources {
					t.Run(r.name, func(t *testing.T) { w.check(t, c, r) })
				}
			})
		}
	})

	// No fixture changed: in-scope objects were only ever sent stale
	// versions, out-of-scope ones were refused.
	after := w.snapshot(t, resources)
	for id, b := range before {
		if !reflect.DeepEqual(b, after[id]) {
			t.Errorf("fixture %s changed during the matrix:\nbefore %+v\nafter  %+v", id, b, after[id])
		}
	}
	w.checkAudit(t)
	t.Logf("isolation matrix: %d callers x %d resource types, %d answers checked (%d mutating requests audited); setup %s, total %s",
		len(w.callers), len(resources), w.cases.Load(), len(w.muts), setup.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// readable: whether c may read an object at p. Beyond covers, two reads
// reach upwards: a site's holder may name its org, and custom roles are read
// from any unit of their partner (built-in roles by everyone).
func (w *isoWorld) readable(res string, c *isoCaller, p place, builtIn bool) bool {
	if c.level == atGlobal {
		return true
	}
	switch res {
	case "roles":
		return builtIn || p.Partner == c.home.Partner
	case "orgs":
		if c.level == atSite && p.Org == c.home.Org {
			return true
		}
	}
	return !builtIn && c.covers(p)
}

// writable: whether c may change an object at p. Writes never reach upwards.
func (w *isoWorld) writable(c *isoCaller, p place, builtIn bool) bool {
	return !builtIn && c.covers(p)
}

func (w *isoWorld) check(t *testing.T, c *isoCaller, r *isoResource) {
	fx := w.fixtures[r.name]
	if r.get {
		w.checkGets(t, c, r, fx)
	}
	w.checkLists(t, c, r, fx)
	if r.patch {
		w.checkPatches(t, c, r, fx)
	}
	if r.del {
		w.checkDeletes(t, c, r, fx)
	}
	if r.creates != nil {
		w.checkCreates(t, c, r)
	}
	if r.disposable != nil {
		w.checkDisposable(t, c, r)
	}
}

// deniedStatus is what every out-of-reach request of c on r must answer.
func deniedStatus(held bool) int {
	if held {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// sameAnswer reports whether two answers are indistinguishable.
func sameAnswer(st1 int, b1 map[string]any, st2 int, b2 map[string]any) bool {
	return st1 == st2 && reflect.DeepEqual(b1, b2)
}

func (w *isoWorld) checkGets(t *testing.T, c *isoCaller, r *isoResource, fx []isoFixture) {
	held := c.holds(r.read)
	refSt, ref := w.call(t, c, http.MethodGet, "/"+r.name+"/"+domain.NewID(), nil)
	if refSt != deniedStatus(held) {
		t.Errorf("GET an unknown %s id: %d %v, want %d", r.name, refSt, ref, deniedStatus(held))
	}
	for _, f := range fx {
		want := http.StatusOK
		switch {
		case !held:
			want = http.StatusForbidden
		case !w.readable(r.name, c, f.at, f.builtIn):
			want = http.StatusNotFound
		}
		st, body := w.call(t, c, http.MethodGet, "/"+r.name+"/"+f.id, nil)
		switch {
		case st != want:
			t.Errorf("GET %s: %d %v, want %d", f.label, st, body, want)
		case want == http.StatusOK && body["id"] != f.id:
			t.Errorf("GET %s answered another object: %v", f.label, body)
		case want != http.StatusOK && !sameAnswer(st, body, refSt, ref):
			t.Errorf("GET %s: %d %v differs from the answer for an unknown id %d %v (an existence oracle)", f.label, st, body, refSt, ref)
		}
	}
}

func (w *isoWorld) checkLists(t *testing.T, c *isoCaller, r *isoResource, fx []isoFixture) {
	held := c.holds(r.read)
	st, items, body := w.list(t, c.token, "/"+r.name, nil)
	if !held {
		if st != http.StatusForbidden {
			t.Errorf("list %s without %s: %d %v, want 403", r.name, r.read, st, body)
		}
		return
	}
	if st != http.StatusOK {
		t.Errorf("list %s: %d %v", r.name, st, body)
		return
	}
	w.checkItems(t, c, r, "list", items, fx, nil)
	for _, f := range r.filters {
		q := url.Values{f.param: {f.value}}
		st, items, body := w.list(t, c.token, "/"+r.name, q)
		if st != http.StatusOK {
			t.Errorf("list %s?%s: %d %v", r.name, q.Encode(), st, body)
			continue
		}
		w.checkItems(t, c, r, "list ?"+f.param+"="+f.value, items, fx, &f)
	}
}

// checkItems: every item is readable by c (and matches the filter), and the
// fixtures shown are exactly those c may read that match the filter.
func (w *isoWorld) checkItems(t *testing.T, c *isoCaller, r *isoResource, what string, items []map[string]any, fx []isoFixture, f *isoFilter) {
	t.Helper()
	seen := map[string]bool{}
	for _, it := range items {
		id := str(it, "id")
		seen[id] = true
		if p, builtIn := r.itemPlace(it); !w.readable(r.name, c, p, builtIn) {
			t.Errorf("%s %s shows %s at %s, outside the caller's scope: %v", r.name, what, id, w.name(p), it)
		}
		if f != nil && str(it, f.field) != f.value {
			t.Errorf("%s %s shows an item with %s=%q: %v", r.name, what, f.field, str(it, f.field), it)
		}
	}
	for _, fix := range fx {
		want := w.readable(r.name, c, fix.at, fix.builtIn) && (f == nil || fix.attrs[f.field] == f.value)
		if seen[fix.id] != want {
			t.Errorf("%s %s: %s shown=%v, want %v", r.name, what, fix.label, seen[fix.id], want)
		}
	}
}

func (w *isoWorld) checkPatches(t *testing.T, c *isoCaller, r *isoResource, fx []isoFixture) {
	ctx := context.Background()
	held := c.holds(r.write)
	refSt, ref := w.call(t, c, http.MethodPatch, "/"+r.name+"/"+domain.NewID(), map[string]any{"name": "Pwned", "version": 1})
	if refSt != deniedStatus(held) {
		t.Errorf("PATCH an unknown %s id: %d %v, want %d", r.name, refSt, ref, deniedStatus(held))
	}
	for _, f := range fx {
		if f.builtIn {
			continue
		}
		before, err := r.load(ctx, f.id)
		if err != nil {
			t.Fatalf("load %s: %v", f.label, err)
		}
		version := versionOf(t, before)
		body := map[string]any{"name": w.uniq("Pwned"), "version": version}
		want, oracle := []int{http.StatusNotFound}, true
		switch {
		case !held:
			want = []int{http.StatusForbidden}
		case w.writable(c, f.at, f.builtIn):
			// In scope: a stale version proves the update got through the
			// scope check (409, not 404) without changing anything.
			body["version"] = version + 1000
			want, oracle = []int{http.StatusConflict}, false
		case w.readable(r.name, c, f.at, f.builtIn):
			// Visible but above the caller's unit: refused either way; no
			// oracle to worry about, the caller can read it.
			want, oracle = []int{http.StatusForbidden, http.StatusNotFound}, false
		}
		st, got := w.call(t, c, http.MethodPatch, "/"+r.name+"/"+f.id, body)
		switch {
		case !oneOf(st, want):
			t.Errorf("PATCH %s: %d %v, want %v", f.label, st, got, want)
		case oracle && !sameAnswer(st, got, refSt, ref):
			t.Errorf("PATCH %s: %d %v differs from the answer for an unknown id %d %v (an existence oracle)", f.label, st, got, refSt, ref)
		}
		w.unchanged(t, r, f, before)
	}
}

func (w *isoWorld) checkDeletes(t *testing.T, c *isoCaller, r *isoResource, fx []isoFixture) {
	ctx := context.Background()
	held := c.holds(r.write)
	refSt, ref := w.call(t, c, http.MethodDelete, "/"+r.name+"/"+domain.NewID(), nil)
	if refSt != deniedStatus(held) {
		t.Errorf("DELETE an unknown %s id: %d %v, want %d", r.name, refSt, ref, deniedStatus(held))
	}
	for _, f := range fx {
		if f.builtIn || (held && w.writable(c, f.at, f.builtIn)) {
			continue // in scope: only disposable objects are deleted
		}
		before, err := r.load(ctx, f.id)
		if err != nil {
			t.Fatalf("load %s: %v", f.label, err)
		}
		want, oracle := []int{http.StatusNotFound}, true
		switch {
		case !held:
			want = []int{http.StatusForbidden}
		case w.readable(r.name, c, f.at, f.builtIn):
			want, oracle = []int{http.StatusForbidden, http.StatusNotFound}, false
		}
		st, got := w.call(t, c, http.MethodDelete, "/"+r.name+"/"+f.id, nil)
		switch {
		case !oneOf(st, want):
			t.Errorf("DELETE %s: %d %v, want %v", f.label, st, got, want)
		case oracle && !sameAnswer(st, got, refSt, ref):
			t.Errorf("DELETE %s: %d %v differs from the answer for an unknown id %d %v (an existence oracle)", f.label, st, got, refSt, ref)
		}
		w.unchanged(t, r, f, before)
	}
}

func (w *isoWorld) checkCreates(t *testing.T, c *isoCaller, r *isoResource) {
	held := c.holds(r.write)
	for _, cs := range r.creates(t, c) {
		want := cs.want
		if !held {
			want = http.StatusForbidden
		}
		st, body := w.call(t, c, http.MethodPost, "/"+r.name, cs.body)
		if st != want {
			t.Errorf("POST %s %s: %d %v, want %d", r.name, cs.label, st, body, want)
		}
		if st == http.StatusCreated {
			if p, _ := r.itemPlace(body); !placeMatches(cs.at, p) {
				t.Errorf("POST %s %s created it at %s: %v", r.name, cs.label, w.name(p), body)
			}
			continue
		}
		if !cs.absent(t) {
			t.Errorf("POST %s %s answered %d but created it", r.name, cs.label, st)
		}
		if want == http.StatusNotFound && st == want && cs.twin != nil {
			tst, tbody := w.call(t, c, http.MethodPost, "/"+r.name, cs.twin)
			if !sameAnswer(st, body, tst, tbody) {
				t.Errorf("POST %s %s: %d %v differs from the answer naming an unknown id %d %v (an existence oracle)",
					r.name, cs.label, st, body, tst, tbody)
			}
		}
	}
}

// checkDisposable: within scope, a held write permission succeeds.
func (w *isoWorld) checkDisposable(t *testing.T, c *isoCaller, r *isoResource) {
	if !c.holds(r.write) {
		return
	}
	id, at, ok := r.disposable(t, c)
	if !ok {
		return
	}
	if !w.writable(c, at, false) {
		t.Fatalf("test bug: disposable %s at %s is outside %s's unit", r.name, w.name(at), c.name)
	}
	ctx := context.Background()
	if r.patch {
		cur, err := r.load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		name := w.uniq("Renamed")
		st, body := w.call(t, c, http.MethodPatch, "/"+r.name+"/"+id, map[string]any{"name": name, "version": versionOf(t, cur)})
		if st != http.StatusOK || body["name"] != name {
			t.Errorf("PATCH own %s at %s: %d %v, want 200", r.name, w.name(at), st, body)
		}
	}
	if r.del {
		st, body := w.call(t, c, http.MethodDelete, "/"+r.name+"/"+id, nil)
		if st != http.StatusNoContent {
			t.Errorf("DELETE own %s at %s: %d %v, want 204", r.name, w.name(at), st, body)
		}
		got, err := r.load(ctx, id)
		if k, isKey := got.(*domain.APIKey); isKey && err == nil {
			if k.RevokedAt.IsZero() {
				t.Errorf("DELETE own API key: not revoked")
			}
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("DELETE own %s: still there (%v)", r.name, err)
		}
	}
}

// unchanged fails when fixture f differs from before.
func (w *isoWorld) unchanged(t *testing.T, r *isoResource, f isoFixture, before any) {
	t.Helper()
	after, err := r.load(context.Background(), f.id)
	if err != nil {
		t.Errorf("%s is gone: %v", f.label, err)
		return
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("%s changed:\nbefore %+v\nafter  %+v", f.label, before, after)
	}
}

// snapshot reads every fixture that can be read by id.
func (w *isoWorld) snapshot(t *testing.T, resources []*isoResource) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, r := range resources {
		if r.load == nil {
			continue
		}
		for _, f := range w.fixtures[r.name] {
			v, err := r.load(context.Background(), f.id)
			if err != nil {
				t.Fatalf("load %s: %v", f.label, err)
			}
			out[f.id] = v
		}
	}
	return out
}

// checkAudit: each mutating request of the matrix wrote exactly one row, with
// the caller, the action, the id aimed at and the outcome its answer implies,
// filed under the caller's own tenant; partner A's admin finds every one of
// them, partner B's admin none, nor any row of partner A.
func (w *isoWorld) checkAudit(t *testing.T) {
	t.Helper()
	byReq := map[string][]*domain.AuditEntry{}
	for _, r := range w.ts.AuditRows(t) {
		if strings.HasPrefix(r.RequestID, "iso-") {
			byReq[r.RequestID] = append(byReq[r.RequestID], r)
		}
	}
	foreignOrg := map[string]bool{w.b.Orgs[0].ID: true, w.b.Orgs[1].ID: true}
	perCaller := map[*isoCaller]map[string]bool{}
	for _, m := range w.muts {
		if perCaller[m.caller] == nil {
			perCaller[m.caller] = map[string]bool{}
		}
		perCaller[m.caller][m.reqID] = true
		rows := byReq[m.reqID]
		if len(rows) != 1 {
			t.Errorf("%s %s (%d): %d audit rows, want 1", m.caller.name, m.action, m.status, len(rows))
			continue
		}
		r := rows[0]
		if r.ActorType != "user" || r.ActorID != m.caller.user.ID || r.Action != m.action || r.Outcome != outcomeOf(m.status) ||
			(m.resourceID != "" && r.ResourceID != m.resourceID) {
			t.Errorf("%s %s %s answered %d: audit row %+v", m.caller.name, m.action, m.resourceID, m.status, r)
		}
		if m.caller.level != atGlobal && (r.PartnerID != w.a.Partner.ID || foreignOrg[r.OrgID]) {
			t.Errorf("%s %s %s: audit row filed under partner %s org %s, not the caller's tenant", m.caller.name, m.action, m.resourceID, r.PartnerID, r.OrgID)
		}
	}

	adminA := w.ts.Login(t, w.a.Admin.Email, apitest.DefaultPassword)
	adminB := w.ts.Login(t, w.b.Admin.Email, apitest.DefaultPassword)
	for _, c := range w.callers {
		if c.level == atGlobal {
			continue
		}
		q := url.Values{"actorId": {c.user.ID}}
		_, items, _ := w.list(t, adminA, "/audit-logs", q)
		got := map[string]bool{}
		for _, it := range items {
			if id := str(it, "requestId"); strings.HasPrefix(id, "iso-") {
				got[id] = true
			}
		}
		if !reflect.DeepEqual(got, perCaller[c]) {
			t.Errorf("partner A's admin sees %d of %s's %d audited requests", len(got), c.name, len(perCaller[c]))
		}
		if st, items, body := w.list(t, adminB, "/audit-logs", url.Values{"actorId": {c.user.ID}}); st != http.StatusOK || len(items) != 0 {
			t.Errorf("partner B's admin lists %s's rows: %d %v", c.name, st, body)
		}
	}
	st, items, body := w.list(t, adminB, "/audit-logs", nil)
	if st != http.StatusOK {
		t.Fatalf("partner B's admin lists the audit log: %d %v", st, body)
	}
	sawOwn := false
	for _, it := range items {
		if str(it, "partnerId") != w.b.Partner.ID {
			t.Errorf("partner B's admin sees a row of another tenant: %v", it)
		}
		sawOwn = sawOwn || str(it, "action") == isoAuditAction
	}
	if !sawOwn {
		t.Errorf("partner B's admin does not see B's own rows")
	}
	if broken, _, err := w.ts.Store.Audit().Verify(context.Background()); err != nil || broken != nil {
		t.Errorf("audit chain: %+v %v", broken, err)
	}
}

func outcomeOf(status int) domain.AuditOutcome {
	switch {
	case status >= 200 && status < 300:
		return domain.OutcomeSuccess
	case status == http.StatusForbidden, status == http.StatusNotFound, status == http.StatusUnauthorized:
		return domain.OutcomeDenied
	}
	return domain.OutcomeFailure
}

func oneOf(st int, want []int) bool {
	for _, w := range want {
		if st == w {
			return true
		}
	}
	return false
}

// placeMatches compares a created object's place with the expected one, in
// which newObj stands for "a fresh id".
func placeMatches(want, got place) bool {
	eq := func(w, g string) bool {
		if w == newObj {
			return g != ""
		}
		return w == g
	}
	return eq(want.Partner, got.Partner) && eq(want.Org, got.Org) && eq(want.Site, got.Site)
}

// versionOf returns the optimistic-concurrency version of a stored row.
func versionOf(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case *domain.Partner:
		return x.Version
	case *domain.Organization:
		return x.Version
	case *domain.Site:
		return x.Version
	case *domain.DeviceGroup:
		return x.Version
	case *domain.User:
		return x.Version
	case *domain.Role:
		return x.Version
	}
	t.Fatalf("no version on %T", v)
	return 0
}
