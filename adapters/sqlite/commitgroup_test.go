package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Concurrent writes share commits, yet each stands or falls alone: rows
// whose insert fails (a duplicate id) leave the others of their group
// stored, the audit chain that every append reads and extends stays whole,
// and more than one write went per commit.
func TestGroupCommitKeepsEachWriteItsOwn(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "g.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	taken := &domain.AuditEntry{ActorType: "user", Action: "taken"}
	if err := s.Audit().Append(ctx, taken); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 40
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored int
		failed int
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := &domain.AuditEntry{ActorType: "user", Action: fmt.Sprintf("w%d.%d", w, i)}
				if i%5 == 0 {
					e.ID = taken.ID // refused: the id exists
				}
				err := s.Audit().Append(ctx, e)
				mu.Lock()
				switch {
				case err == nil && i%5 != 0:
					stored++
				case errors.Is(err, domain.ErrConflict) && i%5 == 0:
					failed++
				default:
					t.Errorf("append %d of writer %d: %v", i, w, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if want := writers * each * 4 / 5; stored != want || failed != writers*each/5 {
		t.Fatalf("stored %d (want %d), refused %d", stored, want, failed)
	}
	var rows int
	if err := s.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM audit_log").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != stored+1 {
		t.Fatalf("%d audit rows, want %d", rows, stored+1)
	}
	brk, n, err := s.Audit().Verify(ctx)
	if err != nil || brk != nil || n != int64(rows) {
		t.Fatalf("chain: break %+v after %d rows, err %v", brk, n, err)
	}
	if w, g := s.db.commits.writes.Load(), s.db.commits.groups.Load(); g >= w {
		t.Fatalf("%d writes in %d commits: none shared one", w, g)
	}
}

// A write whose function panics is rolled back alone; the writes grouped
// with it commit and the panic reaches its caller.
func TestGroupCommitPanicIsTheCallersOnly(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gp.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inside := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // holds the writer while the next two form a group
		defer wg.Done()
		err := s.write(ctx, func(q queryer) error {
			close(inside)
			<-release
			_, err := q.ExecContext(ctx, "INSERT INTO audit_log (seq, id, at, actor_type, actor_id, action, resource_type, resource_id,"+
				" partner_id, org_id, outcome, ip, user_agent, request_id, details, prev_hash, hash)"+
				" VALUES (1, ?, 0, 'user', '', 'first', '', '', '', '', 'success', '', '', '', '', '', 'h1')", domain.NewID())
			return err
		})
		if err != nil {
			t.Errorf("leader: %v", err)
		}
	}()
	<-inside
	panicked := make(chan any, 1)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer func() { panicked <- recover() }()
		_ = s.write(ctx, func(q queryer) error {
			if _, err := q.ExecContext(ctx, "CREATE TABLE panicky (x)"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	go func() {
		defer wg.Done()
		p := &domain.Partner{Name: "grouped"}
		if err := s.Partners().Create(ctx, domain.GlobalScope(), p); err != nil {
			t.Errorf("grouped partner: %v", err)
		}
	}()
	time.Sleep(100 * time.Millisecond) // both wait in the next group
	close(release)
	wg.Wait()
	if r := <-panicked; r != "boom" {
		t.Fatalf("recovered %v, want the panic", r)
	}
	var rows, partners int
	if err := s.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM audit_log").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := s.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM partners WHERE name = 'grouped'").Scan(&partners); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := s.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'panicky'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || partners != 1 || tables != 0 {
		t.Fatalf("audit rows %d, partners %d, tables made by the panicking write %d; want 1, 1, 0", rows, partners, tables)
	}
}

// A group's leader waits for the writer with its caller's ctx; when that
// ends, the leader fails, and the writes that joined it go on in a group
// of their own.
func TestGroupCommitOutlivesItsLeadersContext(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gl.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g := domain.GlobalScope()
	holding := make(chan struct{})
	release := make(chan struct{})
	held := make(chan error, 1)
	go func() { // holds the writer's one connection
		held <- s.InTx(ctx, func(context.Context, ports.Store) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	lctx, lcancel := context.WithCancel(ctx)
	leader := make(chan error, 1)
	go func() { leader <- s.Partners().Create(lctx, g, &domain.Partner{Name: "leader"}) }()
	time.Sleep(50 * time.Millisecond) // the leader waits for the connection
	follower := make(chan error, 1)
	go func() { follower <- s.Partners().Create(ctx, g, &domain.Partner{Name: "follower"}) }()
	time.Sleep(50 * time.Millisecond) // the follower joined the leader's group
	lcancel()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-follower; err != nil {
		t.Fatalf("follower failed with its leader: %v", err)
	}
	var names int
	if err := s.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM partners WHERE name IN ('leader', 'follower')").Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != 1 {
		t.Fatalf("%d of leader and follower stored, want the follower only", names)
	}
}
