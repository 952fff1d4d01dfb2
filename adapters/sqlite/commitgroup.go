package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit for the single writer. Every write used to be a
// transaction of its own (BEGIN IMMEDIATE … COMMIT): one commit, and one
// WAL append of every page it touched, per command row, status change or
// audit row. Writes that arrive while another runs now join it: each runs
// in a savepoint of one shared transaction, on its caller's goroutine, one
// at a time, and the last one out commits for all. The members are those
// that came while the writer was busy (their leader waiting for the
// connection): once a group's transaction began it takes no more. A write
// that fails is rolled back to its savepoint alone; a commit that fails
// fails them all. A lone write still goes at once (no waiting for company).
//
// Only the store's own single-purpose writes (Store.write) are grouped; a
// use case's InTx keeps a transaction of its own.
const maxGroup = 16 // writes per group at most

// writeGroup is one shared transaction.
type writeGroup struct {
	ready chan struct{} // closed once the transaction began (or could not)
	err   error         // why it could not begin; set before ready closes

	ts     *txState
	cancel context.CancelFunc // ends the transaction's ctx after it ended
	turn   sync.Mutex         // one member on the connection at a time

	// Guarded by turn.
	sp     int   // savepoints opened so far (their names)
	broken error // the transaction is gone (SQLite rolled it back): later members retry

	done      chan struct{} // closed after the commit (or rollback)
	commitErr error         // set before done closes

	// Guarded by groups.mu.
	joined, members int
	closed          bool
}

// commitGroups hands writes their group.
type commitGroups struct {
	mu  sync.Mutex
	cur *writeGroup // the group taking members, nil when none

	writes, groups atomic.Uint64 // members and groups so far (tests)
}

// join returns the group to run in, and whether the caller leads it (and
// so begins its transaction).
func (g *commitGroups) join() (*writeGroup, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes.Add(1)
	if c := g.cur; c != nil && !c.closed {
		c.joined++
		c.members++
		if c.joined >= maxGroup {
			c.closed = true
			g.cur = nil
		}
		return c, false
	}
	c := &writeGroup{ready: make(chan struct{}), done: make(chan struct{}), joined: 1, members: 1}
	g.cur = c
	g.groups.Add(1)
	return c, true
}

// leave reports whether the caller was the group's last member (and so
// commits it). A group no member is left in takes no more.
func (g *commitGroups) leave(c *writeGroup) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.members--
	if c.members > 0 {
		return false
	}
	c.closed = true
	if g.cur == c {
		g.cur = nil
	}
	return true
}

// errAloneFailed rolls back a group of one whose write failed (the
// member returns its own error).
var errAloneFailed = errors.New("sqlite: write failed")

// alone reports whether c is a group of one; fixed once it began (seal).
func (g *commitGroups) alone(c *writeGroup) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return c.joined == 1
}

// errRetry: the group's transaction is gone before this member ran.
type errRetry struct{ cause error }

func (e errRetry) Error() string { return e.cause.Error() }

// grouped runs fn as one member of a group commit (see above).
func (s *Store) grouped(ctx context.Context, fn func(q queryer) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sqlite: begin transaction: %w", err)
		}
		err := s.groupOnce(ctx, fn)
		if _, retry := err.(errRetry); retry {
			continue
		}
		return err
	}
}

func (s *Store) groupOnce(ctx context.Context, fn func(q queryer) error) (err error) {
	g, leader := s.db.commits.join()
	if leader {
		s.begin(ctx, g)
	}
	<-g.ready
	if g.err != nil {
		s.db.commits.leave(g) // a failed group has nothing to commit
		if leader {
			return g.err
		}
		return errRetry{g.err} // the leader's trouble (its ctx): try a group of our own
	}
	left := false
	defer func() { // fn panicked: the others must not wait for this member
		if !left && s.db.commits.leave(g) {
			s.commit(ctx, g)
		}
	}()
	ran, fnErr := s.member(ctx, g, fn)
	left = true
	if s.db.commits.leave(g) {
		s.commit(ctx, g)
	}
	<-g.done
	if !ran && !leader {
		return errRetry{fnErr} // the transaction broke before this member ran
	}
	if !ran {
		return fnErr
	}
	if fnErr != nil {
		return fnErr
	}
	return g.commitErr
}

// begin opens the group's transaction, waiting for the writer connection
// no longer than the leader's ctx allows; the transaction itself must not
// end with that ctx (database/sql rolls back a transaction whose ctx ends),
// since other members' writes are in it.
func (s *Store) begin(ctx context.Context, g *writeGroup) {
	defer close(g.ready)
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	tx, err := s.db.w.BeginTx(bctx, nil)
	if !stop() && err == nil { // the leader's ctx ended meanwhile: the transaction may be gone
		_ = tx.Rollback()
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		g.err = fmt.Errorf("sqlite: begin transaction: %w", markUnavailable("begin", err))
		s.db.commits.seal(g) // newcomers start a group of their own
		return
	}
	g.ts, g.cancel = &txState{tx: tx}, cancel
	s.db.commits.seal(g)
}

// seal closes g to newcomers once its transaction began: the group is
// those who came while the writer was busy with the one before, and
// whoever comes now leads the next, so no write waits behind later ones
// that kept coming.
func (g *commitGroups) seal(c *writeGroup) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.closed = true
	if g.cur == c {
		g.cur = nil
	}
}

// member runs fn in a savepoint of the group's transaction. ran is false
// when the transaction was gone before fn could run (the caller retries).
// fn's statements do not end with ctx: cancelling one mid-write could make
// SQLite roll back the shared transaction.
func (s *Store) member(ctx context.Context, g *writeGroup, fn func(q queryer) error) (ran bool, err error) {
	g.turn.Lock()
	defer g.turn.Unlock()
	if g.broken != nil {
		return false, g.broken
	}
	wctx := context.WithoutCancel(ctx)
	if s.db.commits.alone(g) {
		// No one to keep apart from: no savepoint, and a failure rolls
		// back the transaction (commit sees broken).
		failed := true
		defer func() {
			if failed {
				g.broken = errAloneFailed
			}
		}()
		if err = fn(txQ{ts: g.ts, c: s.db.wc}); err != nil {
			return true, err
		}
		failed = false
		return true, nil
	}
	g.sp++
	name := fmt.Sprintf("w%d", g.sp)
	if _, err := g.ts.tx.ExecContext(wctx, "SAVEPOINT "+name); err != nil {
		g.broken = markUnavailable("savepoint", err)
		return false, g.broken
	}
	panicked := true
	defer func() {
		if panicked {
			s.undo(wctx, g, name)
		}
	}()
	err = fn(txQ{ts: g.ts, c: s.db.wc})
	panicked = false
	if err != nil {
		s.undo(wctx, g, name)
		return true, err
	}
	if _, rerr := g.ts.tx.ExecContext(wctx, "RELEASE "+name); rerr != nil {
		g.broken = markUnavailable("release savepoint", rerr)
		return true, g.broken
	}
	return true, nil
}

// undo rolls a member back to its savepoint. When that fails the
// transaction is gone (SQLite rolls back the whole of it on some errors),
// and so is every member's work before: the group is broken.
func (s *Store) undo(ctx context.Context, g *writeGroup, name string) {
	if _, err := g.ts.tx.ExecContext(ctx, "ROLLBACK TO "+name); err != nil {
		g.broken = markUnavailable("rollback to savepoint", err)
		return
	}
	if _, err := g.ts.tx.ExecContext(ctx, "RELEASE "+name); err != nil {
		g.broken = markUnavailable("release savepoint", err)
	}
}

// commit ends the group: commit, or rollback when it broke.
func (s *Store) commit(ctx context.Context, g *writeGroup) {
	defer close(g.done)
	ts := g.ts
	defer func() {
		g.cancel()
		ts.done.Store(true)
		// The connection is free again: cache what the group had to prepare.
		ts.mu.Lock()
		missed := ts.missed
		ts.mu.Unlock()
		for _, q := range missed {
			s.db.wc.prepare(context.WithoutCancel(ctx), q)
		}
	}()
	if g.broken != nil {
		_ = ts.tx.Rollback()
		g.commitErr = g.broken
		return
	}
	if err := ts.tx.Commit(); err != nil {
		g.commitErr = fmt.Errorf("sqlite: commit: %w", markUnavailable("commit", err))
	}
}
