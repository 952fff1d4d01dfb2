package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Every mutating request writes exactly one row, whatever its outcome;
// reads write none.
func TestAuditExactlyOneRowPerMutatingRequest(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	admin := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
	viewer := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	viewerTok := ts.Login(t, viewer.Email, viewer.Password)

	rows := len(ts.AuditRows(t))
	next := func(name string) *domain.AuditEntry {
		t.Helper()
		all := ts.AuditRows(t)
		if len(all) != rows+1 {
			t.Fatalf("%s wrote %d audit rows, want exactly 1", name, len(all)-rows)
		}
		rows = len(all)
		return all[0]
	}

	// Success, with everything the row must carry.
	rec := ts.Request(t, http.MethodPost, api.Prefix+"/orgs", admin, map[string]string{"name": "Audited Ltd"},
		http.Header{"X-Request-Id": {"req-audit-1"}, "User-Agent": {"audit-test/1.0"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create org: %d %s", rec.Code, rec.Body.String())
	}
	org := apitest.DecodeJSON(t, rec)
	r := next("create org")
	want := domain.AuditEntry{
		ActorType: "user", ActorID: a.Admin.ID, Action: "orgs.create", ResourceType: "organization",
		ResourceID: org["id"].(string), PartnerID: a.Partner.ID, OrgID: org["id"].(string),
		Outcome: domain.OutcomeSuccess, IP: "192.0.2.1", UserAgent: "audit-test/1.0", RequestID: "req-audit-1",
	}
	got := *r
	got.ID, got.Seq, got.At, got.PrevHash, got.Hash, got.Details = "", 0, time.Time{}, "", "", ""
	if got != want {
		t.Fatalf("audit row\n got %+v\nwant %+v", got, want)
	}
	if r.Hash == "" || r.Seq == 0 || r.At.IsZero() {
		t.Fatalf("row not chained: %+v", r)
	}

	// Reads: no row.
	ts.Do(t, http.MethodGet, api.Prefix+"/orgs", admin, nil)
	ts.Do(t, http.MethodGet, api.Prefix+"/orgs/"+org["id"].(string), admin, nil)
	ts.Do(t, http.MethodGet, mePath, admin, nil)
	if n := len(ts.AuditRows(t)); n != rows {
		t.Fatalf("reads wrote %d audit rows", n-rows)
	}

	// A stale version: failure.
	if st, _ := ts.Do(t, http.MethodPatch, api.Prefix+"/orgs/"+org["id"].(string), admin, map[string]any{"name": "X", "version": 99}); st != http.StatusConflict {
		t.Fatalf("stale patch: %d", st)
	}
	if r := next("stale patch"); r.Outcome != domain.OutcomeFailure || r.Action != "orgs.update" || r.ResourceID != org["id"] {
		t.Fatalf("stale patch row: %+v", r)
	}
	// Invalid input: failure.
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/orgs", admin, map[string]string{"name": ""}); st != http.StatusBadRequest {
		t.Fatalf("invalid create: %d", st)
	}
	if r := next("invalid create"); r.Outcome != domain.OutcomeFailure {
		t.Fatalf("invalid create row: %+v", r)
	}

	// Denied by the guard, anonymous.
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/orgs", "", map[string]string{"name": "Nope"}); st != http.StatusUnauthorized {
		t.Fatalf("anonymous create: %d", st)
	}
	if r := next("anonymous create"); r.Outcome != domain.OutcomeDenied || r.ActorType != "anonymous" || r.ActorID != "" || r.Action != "orgs.create" {
		t.Fatalf("anonymous denied row: %+v", r)
	}
	// Denied by the guard, an identified user lacking the permission.
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/orgs/"+org["id"].(string), viewerTok, nil); st != http.StatusForbidden {
		t.Fatalf("viewer delete: %d", st)
	}
	r = next("viewer delete")
	if r.Outcome != domain.OutcomeDenied || r.ActorType != "user" || r.ActorID != viewer.ID ||
		r.Action != "orgs.delete" || r.ResourceID != org["id"] || r.PartnerID != a.Partner.ID {
		t.Fatalf("forbidden row: %+v", r)
	}
	// Out of scope: 404, audited as denied.
	b1 := ts.Seed.B.Orgs[0].ID
	if st, _ := ts.Do(t, http.MethodDelete, api.Prefix+"/orgs/"+b1, admin, nil); st != http.StatusNotFound {
		t.Fatalf("cross-tenant delete: %d", st)
	}
	if r := next("cross-tenant delete"); r.Outcome != domain.OutcomeDenied || r.ResourceID != b1 || r.OrgID == b1 {
		t.Fatalf("cross-tenant row: %+v", r)
	}
	// Failed sign-in: the use case's own outcome and reason.
	ts.Do(t, http.MethodPost, loginPath, "", creds(a.Admin.Email, "wrong password!"))
	if r := next("failed login"); r.Action != "auth.login" || r.Outcome != domain.OutcomeFailure || !strings.Contains(r.Details, "wrong_password") {
		t.Fatalf("failed login row: %+v", r)
	}
	// Malformed bodies and unmatched routes.
	ts.Do(t, http.MethodPost, api.Prefix+"/orgs", admin, "{not json")
	if r := next("malformed body"); r.Outcome != domain.OutcomeFailure {
		t.Fatalf("malformed body row: %+v", r)
	}
	ts.Do(t, http.MethodPost, api.Prefix+"/no-such-route", admin, map[string]string{})
	if n := len(ts.AuditRows(t)); n != rows {
		t.Fatalf("an unmatched route wrote %d rows", n-rows)
	}
	// The chain is intact.
	if broken, _, err := ts.Store.Audit().Verify(context.Background()); err != nil || broken != nil {
		t.Fatalf("audit chain: %+v %v", broken, err)
	}
}

// A mutating request whose audit row cannot be written fails: the org is
// not reported created, a sign-in hands out no session, and the failure is
// logged at Error.
func TestAuditAppendFailureFailsTheRequest(t *testing.T) {
	var failing atomic.Bool
	ts := apitest.NewServerWith(t, apitest.Options{WrapAudit: func(s ports.AuditStore) ports.AuditStore {
		return failingAudit{s, &failing}
	}})
	admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	failing.Store(true)
	rec := ts.Request(t, http.MethodPost, api.Prefix+"/orgs", admin, map[string]string{"name": "Not Audited"}, nil)
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "Not Audited") {
		t.Fatalf("a request whose audit row failed answered %d %s", rec.Code, rec.Body.String())
	}
	rec = ts.Request(t, http.MethodPost, api.Prefix+"/auth/login", "",
		map[string]string{"email": ts.Seed.A.Admin.Email, "password": apitest.DefaultPassword}, nil)
	if rec.Code/100 == 2 || rec.Header().Get("Set-Cookie") != "" || strings.Contains(rec.Body.String(), "accessToken") {
		t.Fatalf("a sign-in whose audit row failed answered %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
	logs := ts.Logs.String()
	if !strings.Contains(logs, "audit append failed") || !strings.Contains(logs, `"@level":"error"`) ||
		!strings.Contains(logs, "orgs.create") {
		t.Fatalf("the failed append was not logged at error: %s", logs)
	}
	failing.Store(false)
	if code, _ := ts.Do(t, http.MethodPost, api.Prefix+"/orgs", admin, map[string]string{"name": "Audited"}); code != http.StatusCreated {
		t.Fatalf("after recovery: %d", code)
	}
}

type failingAudit struct {
	ports.AuditStore
	failing *atomic.Bool
}

func (f failingAudit) Append(ctx context.Context, e *domain.AuditEntry) error {
	if f.failing.Load() {
		return fmt.Errorf("sqlite: append audit: %w", errors.Join(domain.ErrUnavailable, errors.New("database or disk is full")))
	}
	return f.AuditStore.Append(ctx, e)
}

func TestAuditLogList(t *testing.T) {
	ts := apitest.NewServer(t)
	a, b := ts.Seed.A, ts.Seed.B
	adminA := ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
	adminB := ts.Login(t, b.Admin.Email, apitest.DefaultPassword)
	start := ts.Clock.Now().Add(-time.Hour) // rows are stamped by the store's own clock
	_, org := ts.Do(t, http.MethodPost, api.Prefix+"/orgs", adminA, map[string]string{"name": "Only A"})
	ts.Do(t, http.MethodPost, api.Prefix+"/orgs", adminB, map[string]string{"name": "Only B"})

	list := func(tok, query string) (int, []map[string]any, map[string]any) {
		st, body := ts.Do(t, http.MethodGet, api.Prefix+"/audit-logs?"+query, tok, nil)
		var items []map[string]any
		if raw, ok := body["items"].([]any); ok {
			for _, it := range raw {
				items = append(items, it.(map[string]any))
			}
		}
		return st, items, body
	}
	st, items, _ := list(adminA, "action=orgs.create")
	if st != 200 || len(items) != 1 || items[0]["resourceId"] != org["id"] || items[0]["actorId"] != a.Admin.ID {
		t.Fatalf("A's orgs.create rows: %d %v", st, items)
	}
	if _, ok := items[0]["hash"].(string); !ok {
		t.Errorf("row lacks its hash: %v", items[0])
	}
	// B never sees A's rows.
	_, itemsB, _ := list(adminB, "")
	for _, it := range itemsB {
		if it["partnerId"] == a.Partner.ID || it["actorId"] == a.Admin.ID {
			t.Fatalf("B sees A's audit row: %v", it)
		}
	}
	// Filters.
	if _, items, _ := list(adminA, "orgId="+org["id"].(string)); len(items) != 1 {
		t.Errorf("orgId filter: %v", items)
	}
	if _, items, _ := list(adminA, "resourceType=organization&actorId="+a.Admin.ID); len(items) != 1 {
		t.Errorf("resourceType+actorId filter: %v", items)
	}
	from := url.QueryEscape(start.Format(time.RFC3339))
	to := url.QueryEscape(start.Add(2 * time.Hour).Format(time.RFC3339))
	if _, items, _ := list(adminA, "action=orgs.create&from="+from+"&to="+to); len(items) != 1 {
		t.Errorf("time window: %v", items)
	}
	if _, items, _ := list(adminA, "action=orgs.create&to="+from); len(items) != 0 {
		t.Errorf("rows before the window: %v", items)
	}
	// Paging.
	_, page1, body := list(adminA, "limit=1")
	if len(page1) != 1 || body["nextCursor"] == "" {
		t.Fatalf("limit=1: %v", body)
	}
	_, page2, _ := list(adminA, "limit=1&cursor="+url.QueryEscape(body["nextCursor"].(string)))
	if len(page2) != 1 || page2[0]["id"] == page1[0]["id"] {
		t.Fatalf("second page: %v", page2)
	}
	// Bad input.
	for _, q := range []string{"from=yesterday", "to=2024-13-01T00:00:00Z", "from=" + to + "&to=" + from, "limit=0", "nope=1", "orgId=x", "cursor=nope"} {
		if st, _, body := list(adminA, q); st != http.StatusBadRequest {
			t.Errorf("?%s: %d %v", q, st, body)
		}
	}
	// Without audit:read.
	viewer := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	if st, _, _ := list(ts.Login(t, viewer.Email, viewer.Password), ""); st != http.StatusForbidden {
		t.Errorf("viewer: %d", st)
	}
}
