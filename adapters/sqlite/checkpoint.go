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
// request that writes. The writer therefore never checkpoints
// (wal_autocheckpoint 0) and a checkpointer with its own connection runs
// PASSIVE checkpoints, which take no lock writers need: readers and the
// writer go on while it copies.
//
// How often: a PASSIVE checkpoint reports the frames in the WAL. The
// cadence adapts so that a checkpoint finds about target frames: fewer
// than half, and the next waits twice as long; target or more, half as
// long. Rare checkpoints keep what the large automatic threshold bought
// (heartbeat ingest rewrites the same hot pages batch after batch, and
// each is written back once per checkpoint, not once per batch), and the
// shortening bounds the WAL under any write rate the checkpoint keeps up
// with. Once every frame is back in the database the next commit starts
// the WAL over, and journal_size_limit (on the writer, which restarts it)
// gives the file back beyond that size. When nothing was written since a
// complete checkpoint, a TRUNCATE checkpoint empties the file: the
// writer is idle, so the lock it takes for that costs no one.
type checkpointPolicy struct {
	target   int64         // frames a checkpoint should find
	min, max time.Duration // bounds of the interval between checkpoints
	off      bool          // tests: no background checkpoints
}

var defaultCheckpoints = checkpointPolicy{target: walCheckpointPages, min: 100 * time.Millisecond, max: 5 * time.Second}

// checkpointer runs the checkpoints on its own connection.
type checkpointer struct {
	db     *sql.DB
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

func newCheckpointer(db *sql.DB, pol checkpointPolicy, log hclog.Logger) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, pol: pol, log: log.Named("checkpoint"), cancel: cancel}
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
		st, err := c.checkpoint(ctx, "PASSIVE")
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
		case st.log >= c.pol.target:
			every = max(every/2, c.pol.min)
		case st.log < c.pol.target/2:
			every = min(every*2, c.pol.max)
		}
		// Nothing written since a complete checkpoint: empty the file.
		idle := st == prev && st.log > 0 && st.done == st.log
		if idle && !truncated {
			if _, err := c.checkpoint(ctx, "TRUNCATE"); err != nil && ctx.Err() == nil {
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

// checkpoint runs one checkpoint in the given mode.
func (c *checkpointer) checkpoint(ctx context.Context, mode string) (walState, error) {
	var st walState
	var busy int
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &st.log, &st.done)
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

// close stops the loop, empties the WAL (the store is closing: no writer
// waits) and closes the connection.
func (c *checkpointer) close() error {
	c.cancel()
	c.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.checkpoint(ctx, "TRUNCATE"); err != nil {
		c.log.Debug("WAL truncate at close failed", "error", err)
	}
	return c.db.Close()
}
