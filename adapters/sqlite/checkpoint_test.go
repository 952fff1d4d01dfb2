package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openCheckpointTest opens a store with the given checkpoint policy and a
// table of blobs to fill the WAL with.
func openCheckpointTest(t *testing.T, pol checkpointPolicy) (*Store, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "breeze.db")
	s, err := Open(ctx, Options{Path: path, checkpoints: &pol})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.WriterDB().ExecContext(ctx, "CREATE TABLE blobs (b BLOB)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return s, path
}

const blobSize = 256 << 10 // 64 pages: one write well past the test target

func writeBlob(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	err := s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO blobs (b) VALUES (randomblob(?))", blobSize)
		return err
	})
	if err != nil {
		t.Fatalf("write: %v", err)
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatalf("stat WAL: %v", err)
	}
	return fi.Size()
}

// waitCheckpoint waits for a complete checkpoint that began after now.
func waitCheckpoint(t *testing.T, s *Store) {
	t.Helper()
	runs0, _ := s.db.ckpt.stats()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runs, st := s.db.ckpt.stats()
		if runs >= runs0+2 && st.done == st.log { // runs0+1 may have begun before the write
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	runs, st := s.db.ckpt.stats()
	t.Fatalf("no complete checkpoint after a write: %d runs (before %d), last %+v", runs, runs0, st)
}

// The writer never checkpoints: with the checkpointer off, every frame
// stays in the WAL however far past the target it grows, and Close still
// leaves the data in the database file.
func TestWriterDoesNotCheckpoint(t *testing.T) {
	ctx := context.Background()
	s, path := openCheckpointTest(t, checkpointPolicy{target: 64, off: true})
	var auto int
	if err := s.WriterDB().QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	const n = 20
	for range n {
		writeBlob(t, s)
	}
	// The WAL starts over only after a checkpoint: all frames still there.
	st, err := s.db.ckpt.checkpoint(ctx, s.db.ckpt.db, "PASSIVE")
	if err != nil || st.log < n*blobSize/4096 {
		t.Fatalf("WAL holds %d frames after %d writes of %d bytes (%v): the writer checkpointed", st.log, n, blobSize, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := walSize(t, path); got != 0 {
		t.Fatalf("WAL is %d bytes after Close, want 0", got)
	}
	again, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	var rows int
	if err := again.ReaderDB().QueryRowContext(ctx, "SELECT count(*) FROM blobs").Scan(&rows); err != nil || rows != n {
		t.Fatalf("rows after reopen = %d, %v; want %d", rows, err, n)
	}
}

// The checkpointer keeps up: the WAL starts over after each checkpoint, so
// its file stays near one write's frames however much is written.
func TestCheckpointerBoundsWAL(t *testing.T) {
	s, path := openCheckpointTest(t, checkpointPolicy{target: 64, min: time.Millisecond, max: 10 * time.Millisecond})
	const n = 40 // 10 MiB in all
	var largest int64
	for range n {
		writeBlob(t, s)
		largest = max(largest, walSize(t, path))
		waitCheckpoint(t, s)
	}
	if limit := int64(3 * blobSize); largest > limit {
		t.Fatalf("WAL reached %d bytes over %d writes of %d, want at most %d", largest, n, blobSize, limit)
	}
}

// With nothing written since a complete checkpoint, the WAL file is emptied.
func TestCheckpointerTruncatesWhenIdle(t *testing.T) {
	s, path := openCheckpointTest(t, checkpointPolicy{target: 1 << 20, min: time.Millisecond, max: 5 * time.Millisecond})
	for range 4 {
		writeBlob(t, s)
	}
	if walSize(t, path) == 0 {
		t.Fatal("WAL empty right after the writes")
	}
	deadline := time.Now().Add(10 * time.Second)
	for walSize(t, path) != 0 {
		if time.Now().After(deadline) {
			runs, st := s.db.ckpt.stats()
			t.Fatalf("idle WAL still %d bytes: %d checkpoints, last %+v", walSize(t, path), runs, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Under writes that never pause, checkpoints still complete (a checkpoint
// that the writer overtook catches up at once), so the WAL starts over
// and stays bounded instead of growing with everything written.
func TestCheckpointerBoundsWALUnderContinuousWrites(t *testing.T) {
	s, path := openCheckpointTest(t, checkpointPolicy{target: 256, min: time.Millisecond, max: 10 * time.Millisecond})
	const n = 200 // 50 MiB in all, back to back
	var largest int64
	for range n {
		writeBlob(t, s)
		largest = max(largest, walSize(t, path))
	}
	if limit := int64(16 << 20); largest > limit {
		runs, st := s.db.ckpt.stats()
		t.Fatalf("WAL reached %d bytes over %d writes of %d, want at most %d (%d checkpoints, last %+v)",
			largest, n, blobSize, limit, runs, st)
	}
}
