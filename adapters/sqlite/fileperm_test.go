package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The database file and the WAL files SQLite creates beside it are the
// owner's alone, whatever the umask; a file left readable by an older
// release is tightened at open.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "breeze.db")
	openTest(t, path) // migrating writes, so -wal and -shm exist

	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), perm)
		}
	}

	loose := filepath.Join(dir, "old.db")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	openTest(t, loose)
	if st, _ := os.Stat(loose); st.Mode().Perm() != 0o600 {
		t.Fatalf("an existing 0644 database stays %o, want 600", st.Mode().Perm())
	}
}
