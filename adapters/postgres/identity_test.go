package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Adapter-specific identity checks; the shared contract is covered by
// TestIdentityConformance.

// twoNodes opens two stores (two pools, as two server nodes would have) on
// one fresh, migrated database.
func twoNodes(t *testing.T) (*postgres.Store, *postgres.Store) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	if _, err := a.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return a, b
}

func appendN(t *testing.T, st *postgres.Store, n int) []*domain.AuditEntry {
	t.Helper()
	var out []*domain.AuditEntry
	for i := range n {
		e := &domain.AuditEntry{ActorType: "user", ActorID: domain.NewID(), Action: fmt.Sprintf("test.%d", i),
			Outcome: domain.OutcomeSuccess, UserAgent: "ua", Details: `{"i":1}`}
		must(t, st.Audit().Append(context.Background(), e))
		out = append(out, e)
	}
	return out
}

func wantBreak(t *testing.T, st *postgres.Store, seq int64, reason string) {
	t.Helper()
	broken, _, err := st.Audit().Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if broken == nil {
		t.Fatalf("Verify found no break, want one at seq %d", seq)
	}
	if broken.Seq != seq || !strings.Contains(broken.Reason, reason) {
		t.Fatalf("Verify = %+v, want a break at seq %d saying %q", *broken, seq, reason)
	}
}

func TestAuditLogRefusesUpdateDeleteAndTruncate(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	appendN(t, st, 3)
	for _, sql := range []string{
		"UPDATE audit_log SET action = 'forged' WHERE seq = 2",
		"DELETE FROM audit_log WHERE seq = 3",
		"TRUNCATE audit_log",
	} {
		_, err := st.Pool().Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || !strings.Contains(pgErr.Message, "append-only") {
			t.Errorf("%s: error = %v, want the append-only trigger to refuse it", sql, err)
		}
	}
	broken, checked, err := st.Audit().Verify(ctx)
	if err != nil || broken != nil || checked != 3 {
		t.Fatalf("Verify after refused edits = %v, %d, %v; want intact, 3 rows", broken, checked, err)
	}
}

func TestAuditVerifyFindsTamperedRows(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		tamper string
		seq    int64
		reason string
	}{
		{"EditedField", "UPDATE audit_log SET action = 'devices.read' WHERE seq = 3", 3, "hash does not match"},
		{"EditedTime", "UPDATE audit_log SET at = at - interval '1 microsecond' WHERE seq = 2", 2, "hash does not match"},
		{"EditedBytes", `UPDATE audit_log SET user_agent = '\x7562'::bytea WHERE seq = 4`, 4, "hash does not match"},
		{"EditedHash", "UPDATE audit_log SET hash = repeat('0', 64) WHERE seq = 2", 2, "hash does not match"},
		{"DeletedRow", "DELETE FROM audit_log WHERE seq = 3", 4, "rows are missing"},
		{"Renumbered", "UPDATE audit_log SET seq = seq + 100 WHERE seq = 5", 105, "rows are missing"},
		{"RelinkedPrev", "UPDATE audit_log SET prev_hash = 'x' WHERE seq = 4", 4, "prev_hash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t)
			appendN(t, st, 5)
			broken, checked, err := st.Audit().Verify(ctx)
			if err != nil || broken != nil || checked != 5 {
				t.Fatalf("Verify before tampering = %v, %d, %v", broken, checked, err)
			}
			// Only an owner who drops the trigger can do this.
			if _, err := st.Pool().Exec(ctx, "DROP TRIGGER audit_log_no_update_delete ON audit_log"); err != nil {
				t.Fatal(err)
			}
			tag, err := st.Pool().Exec(ctx, c.tamper)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("tamper: %v, %d rows", err, tag.RowsAffected())
			}
			wantBreak(t, st, c.seq, c.reason)
		})
	}
}

// A forger who edits a row and rehashes it still breaks the next link.
func TestAuditVerifyFindsARehashedRow(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	rows := appendN(t, st, 4)
	if _, err := st.Pool().Exec(ctx, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"); err != nil {
		t.Fatal(err)
	}
	forged := *rows[1]
	forged.Action = "devices.read"
	forged.Hash = forged.ComputeHash(forged.PrevHash)
	tag, err := st.Pool().Exec(ctx, "UPDATE audit_log SET action = $1, hash = $2 WHERE seq = 2", forged.Action, forged.Hash)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tamper: %v", err)
	}
	wantBreak(t, st, 3, "prev_hash")
}

func TestAuditConcurrentAppendsFromTwoNodesFormOneChain(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	const n = 20
	entries := make([]*domain.AuditEntry, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		node := a
		if i%2 == 1 {
			node = b
		}
		entries[i] = &domain.AuditEntry{ActorType: "system", Action: fmt.Sprintf("race.%d", i), Outcome: domain.OutcomeSuccess}
		wg.Go(func() {
			<-start
			errs[i] = node.Audit().Append(ctx, entries[i])
		})
	}
	close(start)
	wg.Wait()
	seen := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if seen[entries[i].Seq] {
			t.Errorf("seq %d given twice", entries[i].Seq)
		}
		seen[entries[i].Seq] = true
	}
	for s := int64(1); s <= n; s++ {
		if !seen[s] {
			t.Errorf("no append got seq %d", s)
		}
	}
	for _, node := range []*postgres.Store{a, b} {
		broken, checked, err := node.Audit().Verify(ctx)
		if err != nil || broken != nil || checked != n {
			t.Errorf("Verify = %v, %d, %v; want intact, %d rows", broken, checked, err, n)
		}
	}
}

// An append inside a transaction holds the chain until that transaction
// ends; a rollback leaves no gap even with another node appending meanwhile.
func TestAuditAppendInRolledBackTxLeavesNoGap(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	appendN(t, a, 2)
	inTx := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			e := &domain.AuditEntry{Action: "tx.rolled-back"}
			if err := tx.Audit().Append(ctx, e); err != nil {
				return err
			}
			if e.Seq != 3 {
				return fmt.Errorf("append in tx got seq %d, want 3", e.Seq)
			}
			close(inTx)
			<-release
			return errors.New("roll back")
		})
	}()
	select {
	case <-inTx:
	case err := <-done:
		t.Fatalf("InTx ended early: %v", err)
	}
	other := make(chan *domain.AuditEntry, 1)
	go func() {
		e := &domain.AuditEntry{Action: "other.node"}
		if err := b.Audit().Append(ctx, e); err != nil {
			t.Errorf("append on the other node: %v", err)
		}
		other <- e
	}()
	select {
	case e := <-other:
		t.Fatalf("the other node appended seq %d while the chain was held", e.Seq)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-done; err == nil || err.Error() != "roll back" {
		t.Fatalf("InTx = %v", err)
	}
	e := <-other
	if e.Seq != 3 {
		t.Fatalf("append after the rollback got seq %d, want 3", e.Seq)
	}
	broken, checked, err := b.Audit().Verify(ctx)
	if err != nil || broken != nil || checked != 3 {
		t.Fatalf("Verify = %v, %d, %v; want intact, 3 rows", broken, checked, err)
	}
}

func TestAuditAppendKeepsBytesAndCleansTextColumns(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	e := &domain.AuditEntry{
		ActorType: "user", ActorID: "eve\xff\x00", Action: "auth.login", ResourceID: "/devices/\xc3(",
		Outcome: domain.OutcomeDenied, IP: "\x00\x01", UserAgent: "curl \xff\xfe", RequestID: "r\x00", Details: "{\"a\":\"\xe9\"}",
	}
	must(t, st.Audit().Append(ctx, e))
	if e.ActorID != "eve\uFFFD" || e.ResourceID != "/devices/\uFFFD(" {
		t.Errorf("text fields stored as %q, %q", e.ActorID, e.ResourceID)
	}
	page, err := st.Audit().List(ctx, domain.GlobalScope(), ports.AuditFilter{}, domain.PageRequest{})
	must(t, err)
	if len(page.Items) != 1 {
		t.Fatalf("List = %d rows", len(page.Items))
	}
	got := page.Items[0]
	if got.IP != e.IP || got.UserAgent != e.UserAgent || got.RequestID != e.RequestID || got.Details != e.Details ||
		got.ActorID != e.ActorID || got.Hash != e.Hash {
		t.Errorf("stored row %+v differs from appended %+v", got, e)
	}
	broken, _, err := st.Audit().Verify(ctx)
	if err != nil || broken != nil {
		t.Fatalf("Verify = %v, %v", broken, err)
	}
}

func TestRotateRaceAcrossTwoNodesHasOneWinner(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	must(t, a.Partners().Create(ctx, g, p))
	u := &domain.User{PartnerID: p.ID, Email: "u@example.com", Name: "U"}
	must(t, a.Users().Create(ctx, g, u))
	tok := &domain.RefreshToken{UserID: u.ID, TokenHash: "h0", ExpiresAt: time.Now().Add(time.Hour)}
	must(t, a.RefreshTokens().Create(ctx, tok))

	const n = 12
	nexts := make([]*domain.RefreshToken, n)
	spent := make([]*domain.RefreshToken, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		node := a
		if i%2 == 1 {
			node = b
		}
		nexts[i] = &domain.RefreshToken{TokenHash: fmt.Sprintf("h1-%d", i), ExpiresAt: time.Now().Add(time.Hour)}
		wg.Go(func() {
			<-start
			spent[i], errs[i] = node.RefreshTokens().Rotate(ctx, "h0", nexts[i], time.Now())
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("rotations %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrConflict):
			t.Fatalf("rotation %d: %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no rotation won")
	}
	for i, err := range errs {
		if err != nil && (spent[i] == nil || spent[i].ReplacedByID != nexts[winner].ID) {
			t.Errorf("loser %d sees %+v, want the token replaced by the winner's %s", i, spent[i], nexts[winner].ID)
		}
	}
	var rows int
	must(t, a.Pool().QueryRow(ctx, "SELECT count(*) FROM refresh_tokens WHERE family_id = $1", tok.FamilyID).Scan(&rows))
	if rows != 2 {
		t.Errorf("family holds %d tokens, want 2 (the spent one and the winner's successor)", rows)
	}
}

// Inside InTx a refused Rotate (its successor's hash is taken) rolls back to
// a savepoint: the caller's transaction goes on and commits its other work.
func TestRefusedRotateInsideTxLeavesTheTxUsable(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	must(t, st.Partners().Create(ctx, g, p))
	u := &domain.User{PartnerID: p.ID, Email: "u@example.com", Name: "U"}
	must(t, st.Users().Create(ctx, g, u))
	t1 := &domain.RefreshToken{UserID: u.ID, TokenHash: "taken", ExpiresAt: time.Now().Add(time.Hour)}
	t2 := &domain.RefreshToken{UserID: u.ID, TokenHash: "t2", ExpiresAt: time.Now().Add(time.Hour)}
	must(t, st.RefreshTokens().Create(ctx, t1))
	must(t, st.RefreshTokens().Create(ctx, t2))

	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		clash := &domain.RefreshToken{TokenHash: "taken", ExpiresAt: time.Now().Add(time.Hour)}
		if _, err := tx.RefreshTokens().Rotate(ctx, "t2", clash, time.Now()); !errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("Rotate with a taken successor hash: %v, want ErrConflict", err)
		}
		return tx.Audit().Append(ctx, &domain.AuditEntry{Action: "after.refused.rotate"})
	})
	must(t, err)
	if _, err := st.RefreshTokens().Rotate(ctx, "t2", &domain.RefreshToken{TokenHash: "t3", ExpiresAt: time.Now().Add(time.Hour)}, time.Now()); err != nil {
		t.Errorf("t2 after the refused rotation: %v, want it unspent", err)
	}
	_, checked, err := st.Audit().Verify(ctx)
	if err != nil || checked != 1 {
		t.Errorf("audit after the tx: %d rows, %v; want the committed row", checked, err)
	}
}

func TestBuiltInRoleSyncIsIdempotentAndRepairs(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	snapshot := func() map[string]string {
		t.Helper()
		rows, err := st.Pool().Query(ctx, `SELECT id::text, name || '|' || description || '|' || array_to_string(permissions, ',')
			|| '|v' || version || '|' || built_in FROM roles ORDER BY id`)
		must(t, err)
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, v string
			must(t, rows.Scan(&id, &v))
			out[id] = v
		}
		must(t, rows.Err())
		return out
	}
	first := snapshot()
	want := domain.BuiltInRoles()
	if len(first) != len(want) {
		t.Fatalf("%d roles after Migrate, want the %d built-in ones", len(first), len(want))
	}
	for _, r := range want {
		exp := fmt.Sprintf("%s|%s|%s|v1|true", r.Name, r.Description, strings.Join(r.Permissions, ","))
		if first[r.ID] != exp {
			t.Errorf("built-in %s = %q, want %q", r.ID, first[r.ID], exp)
		}
	}

	// Running again changes nothing, not even versions.
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if again := snapshot(); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("second Migrate changed the roles:\n%v\n%v", first, again)
	}

	// A drifted row (edited by hand, or an older release) is brought back in
	// step, with a new version so caches notice.
	_, err := st.Pool().Exec(ctx, "UPDATE roles SET permissions = '{devices:read}', name = 'Viewer?' WHERE id = $1", domain.RoleOrgViewer)
	must(t, err)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := st.Roles().Get(ctx, domain.GlobalScope(), domain.RoleOrgViewer)
	must(t, err)
	var orig domain.Role
	for _, b := range want {
		if b.ID == domain.RoleOrgViewer {
			orig = b
		}
	}
	if r.Name != orig.Name || strings.Join(r.Permissions, ",") != strings.Join(orig.Permissions, ",") || r.Version != 2 {
		t.Errorf("repaired role = %q %v v%d, want %q %v v2", r.Name, r.Permissions, r.Version, orig.Name, orig.Permissions)
	}

	// A custom role holding a built-in id makes Migrate fail loudly.
	p := &domain.Partner{Name: "p"}
	must(t, st.Partners().Create(ctx, domain.GlobalScope(), p))
	_, err = st.Pool().Exec(ctx, "DELETE FROM roles WHERE id = $1", domain.RoleOrgTechnician)
	must(t, err)
	_, err = st.Pool().Exec(ctx, `INSERT INTO roles (id, partner_id, name, built_in, created_at, updated_at)
		VALUES ($1, $2, 'squatter', false, now(), now())`, domain.RoleOrgTechnician, p.ID)
	must(t, err)
	if _, err := st.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "custom") {
		t.Errorf("Migrate with a squatted built-in id: %v, want an error", err)
	}
}

func TestCustomRolesCannotTakeBuiltInNamesOrIDs(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	must(t, st.Partners().Create(ctx, g, p))
	err := st.Roles().Create(ctx, g, &domain.Role{PartnerID: p.ID, Name: " org ADMIN "})
	if !errors.Is(err, domain.ErrConflict) {
		t.Errorf("custom role named like a built-in: %v, want ErrConflict", err)
	}
	err = st.Roles().Create(ctx, g, &domain.Role{ID: "00000000-0000-7000-8000-000000000099", PartnerID: p.ID, Name: "x"})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("custom role with a built-in style id: %v, want ErrInvalid", err)
	}
	r := &domain.Role{PartnerID: p.ID, Name: "Helpdesk"}
	must(t, st.Roles().Create(ctx, g, r))
	in := *r
	in.Name = "Partner Admin"
	if _, err := st.Roles().Update(ctx, g, &in); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("renaming a custom role to a built-in name: %v, want ErrConflict", err)
	}
	// A built-in role keeps answering ErrInvalid, whatever the name sent.
	b, err := st.Roles().Get(ctx, g, domain.RoleOrgAdmin)
	must(t, err)
	if _, err := st.Roles().Update(ctx, g, b); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Update of a built-in with its own name: %v, want ErrInvalid", err)
	}
}

func TestIdentityErrorsSayWhat(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	g := domain.GlobalScope()
	p := &domain.Partner{Name: "p"}
	must(t, st.Partners().Create(ctx, g, p))
	o := &domain.Organization{PartnerID: p.ID, Name: "o"}
	must(t, st.Orgs().Create(ctx, g, o))
	u := &domain.User{PartnerID: p.ID, OrgID: o.ID, Email: "a@example.com", Name: "A"}
	must(t, st.Users().Create(ctx, g, u))
	r := &domain.Role{PartnerID: p.ID, Name: "r"}
	must(t, st.Roles().Create(ctx, g, r))
	must(t, st.RoleAssignments().Create(ctx, g, &domain.RoleAssignment{UserID: u.ID, RoleID: r.ID, PartnerID: p.ID}))

	for _, c := range []struct {
		err  error
		kind error
		want string
	}{
		{st.Orgs().Delete(ctx, g, o.ID), domain.ErrConflict, "organization still has users"},
		{st.Roles().Delete(ctx, g, r.ID), domain.ErrConflict, "role is still granted"},
		{st.Users().Create(ctx, g, &domain.User{PartnerID: p.ID, Email: "A@Example.com", Name: "B"}), domain.ErrConflict, `"a@example.com" is already in use`},
		// Text columns refuse bytes that are not UTF-8: the caller's mistake.
		{st.Users().Create(ctx, g, &domain.User{PartnerID: p.ID, Email: "c@example.com", Name: "bad \xff"}), domain.ErrInvalid, "UTF-8"},
	} {
		if !errors.Is(c.err, c.kind) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error = %v, want %v saying %q", c.err, c.kind, c.want)
		}
	}
}

// Lookups by bytes no text column can hold find nothing; they are not errors.
func TestLookupsByNonUTF8ValuesFindNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	appendN(t, st, 1)
	for _, v := range []string{"a\xff@example.com", "nul\x00@example.com"} {
		if _, err := st.Users().GetByEmail(ctx, v); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetByEmail(%q): %v, want ErrNotFound", v, err)
		}
		if _, err := st.APIKeys().GetByHash(ctx, v); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetByHash(%q): %v, want ErrNotFound", v, err)
		}
		if _, err := st.RefreshTokens().Rotate(ctx, v, &domain.RefreshToken{TokenHash: "n", ExpiresAt: time.Now().Add(time.Hour)}, time.Now()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Rotate(%q): %v, want ErrNotFound", v, err)
		}
		page, err := st.Audit().List(ctx, domain.GlobalScope(), ports.AuditFilter{ActorID: v}, domain.PageRequest{})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("audit List by actor %q = %d rows, %v; want an empty page", v, len(page.Items), err)
		}
	}
}

// Two nodes appending concurrently through their group appenders form one
// chain: every row lands once, in one unbroken sequence.
func TestAuditGroupAppendsFromTwoNodes(t *testing.T) {
	a, b := twoNodes(t)
	const perNode, workers = 150, 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for _, st := range []*postgres.Store{a, b} {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perNode / workers {
					e := &domain.AuditEntry{ActorType: "user", ActorID: domain.NewID(),
						Action: fmt.Sprintf("group.%d.%d", w, i), Outcome: domain.OutcomeSuccess}
					if err := st.Audit().Append(context.Background(), e); err != nil {
						errs <- err
						return
					}
					if e.Seq == 0 || e.Hash == "" {
						errs <- fmt.Errorf("append returned no seq/hash: %+v", e)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	broken, checked, err := a.Audit().Verify(context.Background())
	if err != nil || broken != nil {
		t.Fatalf("verify: broken %+v, err %v", broken, err)
	}
	if want := int64(2 * workers * (perNode / workers)); checked != want {
		t.Fatalf("checked %d rows, want %d", checked, want)
	}
}

// BenchmarkAuditAppendParallel measures audit appends from concurrent
// requests (the group appender's reason to be).
func BenchmarkAuditAppendParallel(b *testing.B) {
	st := open(b, pgtest.NewDatabase(b))
	if _, err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := &domain.AuditEntry{ActorType: "user", ActorID: domain.NewID(), Action: "bench", Outcome: domain.OutcomeSuccess}
			if err := st.Audit().Append(context.Background(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
