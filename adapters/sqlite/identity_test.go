package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/migrations"
	"github.com/breeze-rmm/breeze/ports"
)

// identFixture is a partner P with org O and site S, a user of O, and a
// second partner Q with its org QO.
type identFixture struct {
	st        *Store
	p, q      *domain.Partner
	o, qo     *domain.Organization
	site      *domain.Site
	user      *domain.User
	otherUser *domain.User
}

func newIdentFixture(t *testing.T) *identFixture {
	t.Helper()
	ctx := context.Background()
	g := domain.GlobalScope()
	fx := &identFixture{st: openTest(t, filepath.Join(t.TempDir(), "i.db"))}
	fx.p, fx.q = &domain.Partner{Name: "P"}, &domain.Partner{Name: "Q"}
	fx.o = &domain.Organization{Name: "O"}
	fx.qo = &domain.Organization{Name: "QO"}
	fx.site = &domain.Site{Name: "S"}
	fx.user = &domain.User{Email: "ann@example.com", Name: "Ann"}
	fx.otherUser = &domain.User{Email: "bob@example.com", Name: "Bob"}
	steps := []func() error{
		func() error { return fx.st.Partners().Create(ctx, g, fx.p) },
		func() error { return fx.st.Partners().Create(ctx, g, fx.q) },
		func() error { fx.o.PartnerID = fx.p.ID; return fx.st.Orgs().Create(ctx, g, fx.o) },
		func() error { fx.qo.PartnerID = fx.q.ID; return fx.st.Orgs().Create(ctx, g, fx.qo) },
		func() error { fx.site.OrgID = fx.o.ID; return fx.st.Sites().Create(ctx, g, fx.site) },
		func() error { fx.user.OrgID = fx.o.ID; return fx.st.Users().Create(ctx, g, fx.user) },
		func() error { fx.otherUser.PartnerID = fx.p.ID; return fx.st.Users().Create(ctx, g, fx.otherUser) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("fixture step %d: %v", i, err)
		}
	}
	return fx
}

func count(t *testing.T, st *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.ReaderDB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func appendN(t *testing.T, st *Store, n int, orgID string) []*domain.AuditEntry {
	t.Helper()
	var out []*domain.AuditEntry
	for i := range n {
		e := &domain.AuditEntry{ActorType: "user", ActorID: domain.NewID(), Action: fmt.Sprintf("test.action%d", i),
			OrgID: orgID, Outcome: domain.OutcomeSuccess, Details: `{"i":` + fmt.Sprint(i) + `}`}
		if err := st.Audit().Append(context.Background(), e); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func TestAuditChainAppendVerifyAndTamper(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	if broken, checked, err := st.Audit().Verify(ctx); err != nil || broken != nil || checked != 0 {
		t.Fatalf("Verify of an empty log = %v, %d, %v; want nil, 0, nil", broken, checked, err)
	}
	entries := appendN(t, st, 5, "")
	for i, e := range entries {
		if e.Seq != int64(i+1) || !domain.ValidID(e.ID) || e.At.IsZero() || e.Hash == "" {
			t.Fatalf("entry %d = %+v: Seq, ID, At and Hash must be filled", i, e)
		}
		prev := ""
		if i > 0 {
			prev = entries[i-1].Hash
		}
		if e.PrevHash != prev || e.Hash != e.ComputeHash(prev) {
			t.Fatalf("entry %d does not link to the previous one", i)
		}
	}
	broken, checked, err := st.Audit().Verify(ctx)
	if err != nil || broken != nil || checked != 5 {
		t.Fatalf("Verify = %+v, %d, %v; want an intact chain of 5", broken, checked, err)
	}

	// The triggers refuse edits and deletions.
	for _, q := range []string{"UPDATE audit_log SET action = 'x' WHERE seq = 3", "DELETE FROM audit_log WHERE seq = 5"} {
		if _, err := st.WriterDB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: error = %v, want the append-only trigger", q, err)
		}
	}

	// Someone with file access drops the trigger and edits row 3.
	if _, err := st.WriterDB().Exec("DROP TRIGGER audit_log_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriterDB().Exec("UPDATE audit_log SET action = 'covered.up' WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	broken, checked, err = st.Audit().Verify(ctx)
	if err != nil || broken == nil || broken.Seq != 3 || broken.ID != entries[2].ID || checked != 3 {
		t.Fatalf("Verify after an edit = %+v, %d, %v; want a break at seq 3", broken, checked, err)
	}
	// Re-hashing the edited row moves the break to the next row.
	var e3 *domain.AuditEntry
	page, err := st.Audit().List(ctx, domain.GlobalScope(), ports.AuditFilter{Action: "covered.up"}, domain.PageRequest{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list edited row = %v, %v", page.Items, err)
	}
	e3 = page.Items[0]
	if _, err := st.WriterDB().Exec("UPDATE audit_log SET hash = ? WHERE seq = 3", e3.ComputeHash(e3.PrevHash)); err != nil {
		t.Fatal(err)
	}
	broken, _, err = st.Audit().Verify(ctx)
	if err != nil || broken == nil || broken.Seq != 4 || !strings.Contains(broken.Reason, "prev_hash") {
		t.Fatalf("Verify after re-hashing = %+v, %v; want a prev_hash break at seq 4", broken, err)
	}
}

func TestAuditDeletedRowIsAGap(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	appendN(t, st, 4, "")
	if _, err := st.WriterDB().Exec("DROP TRIGGER audit_log_no_delete"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriterDB().Exec("DELETE FROM audit_log WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	broken, checked, err := st.Audit().Verify(context.Background())
	if err != nil || broken == nil || broken.Seq != 3 || checked != 2 {
		t.Fatalf("Verify after a deletion = %+v, %d, %v; want a break at seq 3", broken, checked, err)
	}
}

func TestAuditConcurrentAppendsFormOneChain(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	seqs := make([]int64, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e := &domain.AuditEntry{ActorType: "system", Action: "race", ResourceID: fmt.Sprint(i)}
			errs[i] = st.Audit().Append(ctx, e)
			seqs[i] = e.Seq
		}()
	}
	close(start)
	wg.Wait()
	seen := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if seqs[i] < 1 || seqs[i] > n || seen[seqs[i]] {
			t.Fatalf("append %d got seq %d (seen: %v)", i, seqs[i], seen)
		}
		seen[seqs[i]] = true
	}
	broken, checked, err := st.Audit().Verify(ctx)
	if err != nil || broken != nil || checked != n {
		t.Fatalf("Verify = %+v, %d, %v; want an intact chain of %d", broken, checked, err, n)
	}
}

func TestAuditListScopeFiltersAndPages(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx := fx.st, context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	rows := []*domain.AuditEntry{
		{Action: "a.global", At: at},
		{Action: "a.partner", PartnerID: fx.p.ID, At: at.Add(time.Second)},
		{Action: "a.org", PartnerID: fx.p.ID, OrgID: fx.o.ID, At: at.Add(2 * time.Second)},
		{Action: "a.other", PartnerID: fx.q.ID, OrgID: fx.qo.ID, At: at.Add(3 * time.Second)},
	}
	for _, e := range rows {
		if err := st.Audit().Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(s domain.Scope, f ports.AuditFilter) string {
		t.Helper()
		var got []string
		req := domain.PageRequest{Limit: 1}
		for {
			p, err := st.Audit().List(ctx, s, f, req)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			for _, e := range p.Items {
				got = append(got, e.Action)
			}
			if p.NextCursor == "" {
				return strings.Join(got, ",")
			}
			req.Cursor = p.NextCursor
		}
	}
	for _, c := range []struct {
		name string
		s    domain.Scope
		f    ports.AuditFilter
		want string
	}{
		{"global", domain.GlobalScope(), ports.AuditFilter{}, "a.other,a.org,a.partner,a.global"},
		{"partner", domain.Scope{PartnerIDs: []string{fx.p.ID}}, ports.AuditFilter{}, "a.org,a.partner"},
		{"org", domain.Scope{OrgIDs: []string{fx.o.ID}}, ports.AuditFilter{}, "a.org"},
		{"site sees nothing", domain.Scope{SiteIDs: []string{fx.site.ID}}, ports.AuditFilter{}, ""},
		{"empty ids", domain.Scope{PartnerIDs: []string{""}, OrgIDs: []string{""}}, ports.AuditFilter{}, ""},
		{"org filter", domain.GlobalScope(), ports.AuditFilter{OrgID: fx.qo.ID}, "a.other"},
		{"time window", domain.GlobalScope(), ports.AuditFilter{From: at.Add(time.Second), To: at.Add(3 * time.Second)}, "a.org,a.partner"},
		{"action", domain.Scope{PartnerIDs: []string{fx.q.ID}}, ports.AuditFilter{Action: "a.org"}, ""},
	} {
		if got := actions(c.s, c.f); got != c.want {
			t.Errorf("%s: listed %q, want %q", c.name, got, c.want)
		}
	}
	if got := rows[2].At; !got.Equal(at.Add(2 * time.Second)) {
		t.Errorf("a caller's At was changed to %v", got)
	}
}

func TestRotateConcurrentlyHasOneWinner(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx := fx.st, context.Background()
	first := &domain.RefreshToken{UserID: fx.user.ID, TokenHash: "hash-0", ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.RefreshTokens().Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.FamilyID != first.ID {
		t.Fatalf("first token of a family: FamilyID %q, want its own id %q", first.FamilyID, first.ID)
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	spent := make([]*domain.RefreshToken, n)
	nexts := make([]*domain.RefreshToken, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			nexts[i] = &domain.RefreshToken{FamilyID: domain.NewID(), UserID: fx.otherUser.ID,
				TokenHash: fmt.Sprintf("hash-%d", i+1), ExpiresAt: time.Now().Add(time.Hour)}
			spent[i], errs[i] = st.RefreshTokens().Rotate(ctx, "hash-0", nexts[i], time.Now())
		}()
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if spent[i].ID != first.ID || spent[i].UsedAt.IsZero() || spent[i].ReplacedByID != nexts[i].ID {
				t.Errorf("winner got spent token %+v", spent[i])
			}
			if nexts[i].FamilyID != first.FamilyID || nexts[i].UserID != fx.user.ID || !domain.ValidID(nexts[i].ID) {
				t.Errorf("successor %+v is not in the spent token's family and user", nexts[i])
			}
		case errors.Is(err, domain.ErrConflict):
			if spent[i] == nil || spent[i].ID != first.ID || spent[i].UsedAt.IsZero() {
				t.Errorf("loser %d got %+v, want the stored (spent) token", i, spent[i])
			}
		default:
			t.Errorf("rotate %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want exactly 1", winners)
	}
	if got := count(t, st, "SELECT count(*) FROM refresh_tokens WHERE family_id = ?", first.FamilyID); got != 2 {
		t.Fatalf("family holds %d tokens, want 2", got)
	}
}

func TestRotateRefusals(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx := fx.st, context.Background()
	now := time.Now()
	next := func() *domain.RefreshToken {
		return &domain.RefreshToken{TokenHash: domain.NewID(), ExpiresAt: now.Add(time.Hour)}
	}
	if _, err := st.RefreshTokens().Rotate(ctx, "nope", next(), now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Rotate unknown = %v, want ErrNotFound", err)
	}
	expired := &domain.RefreshToken{UserID: fx.user.ID, TokenHash: "expired", ExpiresAt: now.Add(-time.Second)}
	revoked := &domain.RefreshToken{UserID: fx.user.ID, TokenHash: "revoked", ExpiresAt: now.Add(time.Hour)}
	for _, tok := range []*domain.RefreshToken{expired, revoked} {
		if err := st.RefreshTokens().Create(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.RefreshTokens().RevokeFamily(ctx, revoked.FamilyID, now); err != nil || n != 1 {
		t.Fatalf("RevokeFamily = %d, %v; want 1", n, err)
	}
	if n, err := st.RefreshTokens().RevokeFamily(ctx, revoked.FamilyID, now); err != nil || n != 0 {
		t.Fatalf("RevokeFamily again = %d, %v; want 0", n, err)
	}
	for _, tok := range []*domain.RefreshToken{expired, revoked} {
		got, err := st.RefreshTokens().Rotate(ctx, tok.TokenHash, next(), now)
		if !errors.Is(err, domain.ErrConflict) || got == nil || got.ID != tok.ID || !got.UsedAt.IsZero() {
			t.Fatalf("Rotate %s = %+v, %v; want the unspent stored token and ErrConflict", tok.TokenHash, got, err)
		}
	}
	if active, err := st.RefreshTokens().FamilyActive(ctx, expired.FamilyID, now); err != nil || active {
		t.Fatalf("FamilyActive of an expired family = %v, %v", active, err)
	}
	// A successor whose hash is taken rolls the spend back.
	live := &domain.RefreshToken{UserID: fx.user.ID, TokenHash: "live", ExpiresAt: now.Add(time.Hour)}
	if err := st.RefreshTokens().Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	clash := next()
	clash.TokenHash = "expired"
	if _, err := st.RefreshTokens().Rotate(ctx, "live", clash, now); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("Rotate to a taken hash = %v, want ErrConflict", err)
	}
	if got := count(t, st, "SELECT count(*) FROM refresh_tokens WHERE token_hash = 'live' AND used_at IS NULL"); got != 1 {
		t.Fatal("a failed rotation left the token spent")
	}
}

func TestBuiltInRolesSyncedAndIdempotent(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "r.db"))
	ctx := context.Background()
	check := func(what string) map[string]int64 {
		t.Helper()
		versions := map[string]int64{}
		for _, want := range domain.BuiltInRoles() {
			if !strings.HasPrefix(want.ID, builtInIDPrefix) {
				t.Fatalf("built-in id %s lacks the reserved prefix", want.ID)
			}
			got, err := st.Roles().Get(ctx, domain.Scope{PartnerIDs: []string{domain.NewID()}}, want.ID)
			if err != nil {
				t.Fatalf("%s: get %s: %v", what, want.Name, err)
			}
			if got.Name != want.Name || got.Description != want.Description || !got.BuiltIn || got.PartnerID != "" ||
				strings.Join(got.Permissions, ",") != strings.Join(want.Permissions, ",") {
				t.Fatalf("%s: role %+v, want %+v", what, got, want)
			}
			versions[got.ID] = got.Version
		}
		return versions
	}
	v1 := check("after the first Migrate")
	if got := count(t, st, "SELECT count(*) FROM roles"); got != len(domain.BuiltInRoles()) {
		t.Fatalf("%d roles after Migrate, want %d", got, len(domain.BuiltInRoles()))
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	v2 := check("after a second Migrate")
	for id, v := range v1 {
		if v2[id] != v {
			t.Fatalf("re-running Migrate bumped %s from %d to %d", id, v, v2[id])
		}
	}
	// A stale copy (an older release, or a hand edit) is brought back in step.
	if _, err := st.WriterDB().Exec("UPDATE roles SET permissions = '[\"plugins:manage\"]', name = 'org viewer' WHERE id = ?", domain.RoleOrgViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	v3 := check("after repairing a stale built-in")
	if v3[domain.RoleOrgViewer] != v1[domain.RoleOrgViewer]+1 || v3[domain.RoleOrgAdmin] != v1[domain.RoleOrgAdmin] {
		t.Fatalf("versions after repair = %v, want only Org Viewer bumped", v3)
	}
	// Custom roles cannot take a built-in name or a built-in id.
	p := &domain.Partner{Name: "p"}
	if err := st.Partners().Create(ctx, domain.GlobalScope(), p); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*domain.Role{
		{PartnerID: p.ID, Name: "partner ADMIN"},
		{PartnerID: p.ID, Name: "x", ID: "00000000-0000-7000-8000-000000000099"},
	} {
		if err := st.Roles().Create(ctx, domain.GlobalScope(), r); err == nil {
			t.Fatalf("custom role %+v was created", r)
		}
	}
}

func TestUserDeleteCascades(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx, g := fx.st, context.Background(), domain.GlobalScope()
	u := fx.user
	grant := &domain.RoleAssignment{UserID: u.ID, RoleID: domain.RoleOrgViewer, SiteID: fx.site.ID}
	if err := st.RoleAssignments().Create(ctx, g, grant); err != nil {
		t.Fatal(err)
	}
	if grant.OrgID != fx.o.ID || grant.PartnerID != fx.p.ID {
		t.Fatalf("grant unit not filled from the site: %+v", grant)
	}
	key := &domain.APIKey{UserID: u.ID, OrgID: fx.o.ID, Name: "ci", Prefix: "bzk_ab", SecretHash: "h1",
		Permissions: []domain.Permission{domain.PermDevicesRead}}
	if err := st.APIKeys().Create(ctx, g, key); err != nil {
		t.Fatal(err)
	}
	tok := &domain.RefreshToken{UserID: u.ID, TokenHash: "t1", ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.RefreshTokens().Create(ctx, tok); err != nil {
		t.Fatal(err)
	}
	grants, err := st.RoleAssignments().GrantsOf(ctx, u.ID)
	if err != nil || len(grants) != 1 || !strings.Contains(strings.Join(grants[0].Permissions, ","), domain.PermDevicesRead) {
		t.Fatalf("GrantsOf = %+v, %v", grants, err)
	}
	if err := st.Users().Delete(ctx, domain.Scope{OrgIDs: []string{fx.o.ID}}, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"role_assignments", "api_keys", "refresh_tokens"} {
		if n := count(t, st, "SELECT count(*) FROM "+table+" WHERE user_id = ?", u.ID); n != 0 {
			t.Errorf("%s still holds %d rows of the deleted user", table, n)
		}
	}
	if n := count(t, st, "SELECT count(*) FROM users"); n != 1 {
		t.Errorf("%d users left, want 1", n)
	}
}

func TestGrantAndKeyRules(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx, g := fx.st, context.Background(), domain.GlobalScope()
	qRole := &domain.Role{PartnerID: fx.q.ID, Name: "q-role", Permissions: []domain.Permission{domain.PermDevicesRead}}
	if err := st.Roles().Create(ctx, g, qRole); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    domain.Scope
		a    domain.RoleAssignment
		want error
	}{
		{"unit outside the user's partner", g, domain.RoleAssignment{UserID: fx.user.ID, RoleID: domain.RoleOrgViewer, OrgID: fx.qo.ID}, domain.ErrInvalid},
		{"custom role of another partner", g, domain.RoleAssignment{UserID: fx.user.ID, RoleID: qRole.ID, OrgID: fx.o.ID}, domain.ErrInvalid},
		{"custom role invisible", domain.Scope{PartnerIDs: []string{fx.p.ID}}, domain.RoleAssignment{UserID: fx.user.ID, RoleID: qRole.ID, OrgID: fx.o.ID}, domain.ErrNotFound},
		{"unit uncovered", domain.Scope{OrgIDs: []string{fx.o.ID}}, domain.RoleAssignment{UserID: fx.user.ID, RoleID: domain.RoleOrgViewer, PartnerID: fx.p.ID}, domain.ErrNotFound},
		{"global unit needs the global scope", domain.Scope{PartnerIDs: []string{fx.p.ID}}, domain.RoleAssignment{UserID: fx.user.ID, RoleID: domain.RolePlatformAdmin}, domain.ErrNotFound},
		{"site caller cannot see users", domain.Scope{SiteIDs: []string{fx.site.ID}}, domain.RoleAssignment{UserID: fx.user.ID, RoleID: domain.RoleOrgViewer, SiteID: fx.site.ID}, domain.ErrNotFound},
		{"mismatched ancestors", g, domain.RoleAssignment{UserID: fx.user.ID, RoleID: domain.RoleOrgViewer, SiteID: fx.site.ID, OrgID: fx.qo.ID}, domain.ErrInvalid},
	} {
		a := c.a
		if err := st.RoleAssignments().Create(ctx, c.s, &a); !errors.Is(err, c.want) {
			t.Errorf("%s: Create = %v, want %v", c.name, err, c.want)
		}
	}
	if n := count(t, st, "SELECT count(*) FROM role_assignments"); n != 0 {
		t.Fatalf("refused grants stored %d rows", n)
	}
	global := domain.RoleAssignment{UserID: fx.otherUser.ID, RoleID: domain.RolePlatformAdmin}
	if err := st.RoleAssignments().Create(ctx, g, &global); err != nil {
		t.Fatalf("global grant: %v", err)
	}
	dup := domain.RoleAssignment{UserID: fx.otherUser.ID, RoleID: domain.RolePlatformAdmin}
	if err := st.RoleAssignments().Create(ctx, g, &dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("the same global grant twice = %v, want ErrConflict", err)
	}
	if _, err := st.RoleAssignments().Get(ctx, domain.Scope{PartnerIDs: []string{fx.p.ID}}, global.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a partner caller reads a global grant: %v", err)
	}

	key := &domain.APIKey{UserID: fx.user.ID, SiteID: fx.site.ID, Name: "k", SecretHash: "s"}
	if err := st.APIKeys().Create(ctx, domain.Scope{SiteIDs: []string{fx.site.ID}}, key); err != nil {
		t.Fatal(err)
	}
	first := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		if err := st.APIKeys().Revoke(ctx, domain.Scope{OrgIDs: []string{fx.o.ID}}, key.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.APIKeys().GetByHash(ctx, "s")
	if err != nil || !got.RevokedAt.Equal(first) || got.Permissions == nil {
		t.Fatalf("after two revocations: %+v, %v; want the first time kept", got, err)
	}
	if err := st.APIKeys().Revoke(ctx, domain.Scope{OrgIDs: []string{fx.qo.ID}}, key.ID, first); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoke from another org = %v, want ErrNotFound", err)
	}
}

func TestPartnerRequireTOTPRoundTrips(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	ctx, g := context.Background(), domain.GlobalScope()
	p := &domain.Partner{Name: "strict", RequireTOTP: true}
	if err := st.Partners().Create(ctx, g, p); err != nil {
		t.Fatal(err)
	}
	got, err := st.Partners().Get(ctx, g, p.ID)
	if err != nil || !got.RequireTOTP {
		t.Fatalf("Get = %+v, %v; want RequireTOTP", got, err)
	}
	got.RequireTOTP = false
	upd, err := st.Partners().Update(ctx, g, got)
	if err != nil || upd.RequireTOTP {
		t.Fatalf("Update = %+v, %v; want RequireTOTP cleared", upd, err)
	}
}

func TestStaleUserUpdateKeepsTheTOTPStep(t *testing.T) {
	fx := newIdentFixture(t)
	st, ctx, g := fx.st, context.Background(), domain.GlobalScope()
	u := fx.user
	u.TOTPSecret = "JBSWY3DPEHPK3PXP"
	u, err := st.Users().Update(ctx, g, u)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Users().RecordLogin(ctx, u.ID, time.Now(), 1000); err != nil {
		t.Fatal(err)
	}
	// An edit built from the read taken before the sign-in.
	u.Name = "Ann B."
	got, err := st.Users().Update(ctx, g, u)
	if err != nil || got.TOTPLastStep != 1000 || got.Version != u.Version+1 {
		t.Fatalf("Update = %+v, %v; want the step kept at 1000", got, err)
	}
	if err := st.Users().RecordLogin(ctx, u.ID, time.Now(), 1000); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("replaying step 1000 = %v, want ErrConflict", err)
	}
}

// Identity writes through the root store inside InTx join the transaction.
func TestIdentityWritesJoinInTx(t *testing.T) {
	fx := newIdentFixture(t)
	st := fx.st
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rollback := errors.New("roll back")
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := st.Audit().Append(ctx, &domain.AuditEntry{Action: "in.tx"}); err != nil {
			return err
		}
		u := &domain.User{PartnerID: fx.p.ID, Email: "tx@example.com", Name: "Tx"}
		if err := tx.(*Store).Users().Create(ctx, domain.GlobalScope(), u); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v", err)
	}
	if n := count(t, st, "SELECT count(*) FROM audit_log"); n != 0 {
		t.Fatalf("audit row survived the rollback")
	}
	if _, err := st.Users().GetByEmail(ctx, "tx@example.com"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("user survived the rollback: %v", err)
	}
}

// 00002 applies to a database that already holds tenants (an upgrade).
func TestIdentityMigrationUpgradesExistingData(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "u.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := fs.ReadFile(migrations.SQLite(), "00001_tenancy.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Up(ctx, st.WriterDB(), sqlmigrate.SQLite, fstest.MapFS{"00001_tenancy.sql": {Data: first}}); err != nil {
		t.Fatal(err)
	}
	id := domain.NewID()
	if _, err := st.WriterDB().Exec("INSERT INTO partners (id, name, version, created_at, updated_at) VALUES (?, 'old', 1, 0, 0)", id); err != nil {
		t.Fatal(err)
	}
	res, err := st.Migrate(ctx)
	if err != nil || len(res.Applied) == 0 || !strings.HasSuffix(res.Applied[0], "00002_identity.sql") {
		t.Fatalf("Migrate = %+v, %v; want 00002 applied first", res, err)
	}
	p, err := st.Partners().Get(ctx, domain.GlobalScope(), id)
	if err != nil || p.RequireTOTP || p.Name != "old" {
		t.Fatalf("partner after upgrade = %+v, %v", p, err)
	}
}
