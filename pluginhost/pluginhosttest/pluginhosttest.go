// Package pluginhosttest is the test harness shared by the packages that
// run real plugin processes (pluginhost, adapters/pluginserver): it builds
// the plugins once per test binary, installs copies the way a host does,
// checks for leaked goroutines and records what a webhook receives.
package pluginhosttest

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/breeze-rmm/breeze/sdk"
)

// binDir holds the plugins Main built for this test binary.
var binDir string

// BinDir is where Main put the built plugins (one file per package, named
// after its last path element).
func BinDir() string { return binDir }

// Main builds pkgs (import paths relative to root, the module root as seen
// from the test's package directory) with CGO off, runs the tests, fails
// the run if any goroutine is left behind (supervisor loops, go-plugin log
// pumps, gRPC connections) and exits. Call it from TestMain.
func Main(m *testing.M, root string, pkgs ...string) {
	dir, err := os.MkdirTemp("", "plugins-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
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

// Install copies a plugin Main built into a directory the test owns (as a
// host does) and returns its path and SHA-256.
func Install(tb testing.TB, name string) (exe string, sum []byte) {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(binDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	exe = filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(exe, src, 0o755); err != nil {
		tb.Fatal(err)
	}
	h := sha256.Sum256(src)
	return exe, h[:]
}

// Receiver is a webhook endpoint that answers 204 and records the bodies it
// got; the second result returns a copy of them. It closes at cleanup.
func Receiver(tb testing.TB) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}

// WebhookRejectsBadSettings checks what every layer expects of the webhook
// plugin: bad settings come back as the sdk's ErrInvalid from Send and as a
// failed Test, and do not hurt the plugin (good settings still test OK).
// send and test adapt the layer's own Send and Test.
func WebhookRejectsBadSettings(tb testing.TB, good json.RawMessage, send func(json.RawMessage) error, test func(json.RawMessage) (ok bool, err error)) {
	tb.Helper()
	bad := json.RawMessage(`{"url":"ftp://x"}`)
	if err := send(bad); !errors.Is(err, sdk.ErrInvalid) {
		tb.Fatalf("send with bad settings: %v", err)
	}
	if ok, err := test(bad); err != nil || ok {
		tb.Fatalf("test with bad settings: ok=%v %v", ok, err)
	}
	if ok, err := test(good); err != nil || !ok {
		tb.Fatalf("test: ok=%v %v", ok, err)
	}
}
