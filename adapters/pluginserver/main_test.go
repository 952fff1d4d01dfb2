//go:build linux

package pluginserver

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// binDir holds the first-party plugins built once for the package's tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginserver-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./plugins/webhook", "./plugins/failedunits")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test plugins: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// installed copies a built plugin into a directory the test owns (as the
// server does) and returns its path and SHA-256.
func installed(tb testing.TB, name string) (string, []byte) {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(binDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	exe := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(exe, src, 0o755); err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(src)
	return exe, sum[:]
}
