package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Checkpoints run beside the writer, not on it. With SQLite's automatic
// checkpoint the commit that crosses the threshold copies the whole WAL
// back into the database file before it returns, while every other write
// waits for the single writer: tens of milliseconds at the tail of any
// request that writes. The writer therefore never checkpoints by itself
// (wal_autocheckpoint 0) and a checkpointer with its own connection runs
// PASSIVE checkpoints, which take no lock writers need: readers and the
// writer go on while it copies.
//
// How often: about every target new frames. The interval adapts: a
// checkpoint that found fewer than half of that makes the next wait twice
// as long, target or more half as long. Rare checkpoints keep what the
// large threshold bought (heartbeat ingest rewrites the same hot pages
// batch after batch, and each is written back once per checkpoint, not
// once per batch).
//
// Starting over: the WAL starts over (and journal_size_limit, on the
// writer, gives the file back beyond that size) only when the writer
// begins a transaction with every frame copied back. A checkpoint that
// the writer overtook catches up at once, short enough to end between two
// of its transactions most of the time; writes that never pause leave no
// such moment, so once the WAL holds target frames the writer copies back
// the few frames left itself, between two transactions. The bulk was
// copied beside it. When nothing was written since a complete checkpoint,
// a TRUNCATE checkpoint empties the file.
type checkpointPolicy struct {
	target   int64         // frames a checkpoint should find
	min, max time.Duration // bounds of the interval between checkpoints
	off      bool          // tests: no background checkpoints
}

var defaultCheckpoints = checkpointPolicy{target: walCheckpointPages, min: 100 * time.Millisecond, max: 5 * time.Second}

// catchUps bounds the checkpoints run at once after one the writer overtook.
const catchUps = 4

// checkpointer runs the checkpoints on its own connection.
type checkpointer struct {
	db     *sql.DB // its own connection
	w      *sql.DB // the writer, for the last frames under writes that never pause
	pol    checkpointPolicy
	log    hclog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	runs uint64 // checkpoints that returned (tests)
	last walState
}

// walState is what a checkpoint reported: frames in the WAL and frames
// copied back (all of them: the WAL starts over on the next commit).
type walState struct {
	log, done int64
	busy      bool
}

func newCheckpointer(db, w *sql.DB, pol checkpointPolicy, log hclog.Logger) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, w: w, pol: pol, log: log.Named("checkpoint"), cancel: cancel}
	if !pol.off {
		c.wg.Add(1)
		go c.run(ctx)
	}
	return c
}

func (c *checkpointer) run(ctx context.Context) {
	defer c.wg.Done()
	every := c.pol.min
	var prev walState
	truncated, failing := false, false
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := c.checkpoint(ctx, c.db, "PASSIVE")
		fresh := st.log - prev.log // new frames since the last round
		if st.log < prev.log {
			fresh = st.log // the WAL started over meanwhile
		}
		for i := 0; err == nil && i < catchUps && st.done < st.log && !st.busy; i++ {
			st, err = c.checkpoint(ctx, c.db, "PASSIVE")
		}
		if err == nil && st.log >= c.pol.target {
			st, err = c.checkpoint(ctx, c.w, "PASSIVE")
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing { // once per failing spell, not once per tick
				c.log.Warn("WAL checkpoint failed", "error", err)
			}
			failing = true
			every = c.pol.max
			t.Reset(every)
			continue
		}
		failing = false
		switch {
		case fresh >= c.pol.target:
			every = max(every/2, c.pol.min)
		case fresh < c.pol.target/2:
			every = min(every*2, c.pol.max)
		}
		// Nothing written since a complete checkpoint: empty the file.
		idle := st == prev && st.log > 0 && st.done == st.log
		if idle && !truncated {
			if _, err := c.checkpoint(ctx, c.db, "TRUNCATE"); err != nil && ctx.Err() == nil {
				c.log.Debug("WAL truncate failed", "error", err)
			}
			truncated = true
		} else if !idle {
			truncated = false
		}
		prev = st
		t.Reset(every)
	}
}

// checkpoint runs one checkpoint in the given mode on db's connection.
func (c *checkpointer) checkpoint(ctx context.Context, db *sql.DB, mode string) (walState, error) {
	var st walState
	var busy int
	err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &st.log, &st.done)
	if err != nil {
		return st, fmt.Errorf("sqlite: wal_checkpoint(%s): %w", mode, err)
	}
	st.busy = busy != 0
	c.mu.Lock()
	c.runs++
	c.last = st
	c.mu.Unlock()
	c.log.Trace("WAL checkpoint", "mode", mode, "frames", st.log, "copied", st.done, "busy", st.busy)
	return st, nil
}

// stats returns the checkpoints run so far and what the last one saw.
func (c *checkpointer) stats() (uint64, walState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs, c.last
}

// stop ends the loop (before the writer closes: the loop may use it).
func (c *checkpointer) stop() {
	c.cancel()
	c.wg.Wait()
}

// close empties the WAL (the store is closing: no writer waits) and
// closes the connection. After stop.
func (c *checkpointer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.checkpoint(ctx, c.db, "TRUNCATE"); err != nil {
		c.log.Debug("WAL truncate at close failed", "error", err)
	}
	return c.db.Close()
}
