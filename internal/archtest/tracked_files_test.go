package archtest

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTrackedBytes is the largest file the repository may track; build
// outputs, logs and data dumps are what grows past it.
const maxTrackedBytes = 1 << 20

// largeAllowed lists tracked files that may pass maxTrackedBytes.
var largeAllowed = map[string]bool{
	"web/package-lock.json": true,
}

// executableMagic are the first bytes of ELF, Mach-O (32/64-bit, both byte
// orders, and universal) and PE/COFF (MZ) files.
var executableMagic = [][]byte{
	{0x7f, 'E', 'L', 'F'},
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
	{'M', 'Z'},
}

// trackedProblems returns the files under root that git tracks and that are
// either a compiled executable or larger than maxTrackedBytes.
func trackedProblems(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", root, err)
	}
	var bad []string
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		if why := checkFile(filepath.Join(root, name)); why != "" && !(why == "large" && largeAllowed[name]) {
			bad = append(bad, name+" ("+why+")")
		}
	}
	return bad
}

// checkFile says "executable", "large" or "" for one file. A file that is
// listed but missing (deleted in the work tree) is not a problem.
func checkFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	for _, m := range executableMagic {
		if n >= len(m) && bytes.Equal(head[:len(m)], m) {
			return "executable"
		}
	}
	if st.Size() > maxTrackedBytes {
		return "large"
	}
	return ""
}

// Build outputs never belong in the repository (a 22 MB agent binary was
// committed once).
func TestNoBuildOutputsTracked(t *testing.T) {
	if bad := trackedProblems(t, "../.."); len(bad) > 0 {
		t.Fatalf("tracked files that are build outputs or over %d bytes (remove with git rm --cached, ignore them, or add to largeAllowed):\n  %s",
			maxTrackedBytes, strings.Join(bad, "\n  "))
	}
}

// The check must see an executable and a large file in a repository that
// tracks them.
func TestTrackedCheckDetectsBinaries(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	self, err := os.Executable() // this test binary is an ELF/Mach-O/PE file
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "tool"), bin[:4096], 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "dump.txt"), bytes.Repeat([]byte("x"), maxTrackedBytes+1), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ok.go"), []byte("package ok\n"), 0o644))
	git("add", ".")
	bad := trackedProblems(t, dir)
	want := []string{"dump.txt (large)", "tool (executable)"}
	if strings.Join(bad, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", bad, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
