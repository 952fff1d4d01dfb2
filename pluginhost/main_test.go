//go:build linux

package pluginhost

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/pluginhost/pluginhosttest"
	"github.com/breeze-rmm/breeze/sdk"
)

// testPlugins are built once for the whole package: the first-party ones
// and the misbehaving ones under testdata/.
var testPlugins = []string{
	"./plugins/webhook", "./plugins/failedunits",
	"./pluginhost/testdata/panics", "./pluginhost/testdata/hangs",
	"./pluginhost/testdata/exits", "./pluginhost/testdata/noping",
	"./pluginhost/testdata/slowstart", "./pluginhost/testdata/null",
}

// Every test must leave no goroutine behind (pluginhosttest.Main checks).
func TestMain(m *testing.M) { pluginhosttest.Main(m, "..", testPlugins...) }

// install copies a built plugin into a directory the test owns (as a host
// does) and returns a Spec pinning its hash.
func install(tb testing.TB, name string, kind sdk.Kind) Spec {
	tb.Helper()
	exe, sum := pluginhosttest.Install(tb, name)
	return Spec{ID: "test." + name, Version: "0.0.1", Kind: kind, Exec: exe, SHA256: sum}
}

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: w, JSONFormat: true})
}

// start builds a supervisor, records its state transitions and stops it at
// cleanup.
func start(tb testing.TB, spec Spec) (*Supervisor, *transitions) {
	tb.Helper()
	s, err := New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	tr := &transitions{}
	s.onState = tr.add
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	if err := s.Start(contextWithTimeout(tb, 20*time.Second)); err != nil {
		tb.Fatalf("start %s: %v", spec.ID, err)
	}
	return s, tr
}

type transitions struct {
	mu  sync.Mutex
	seq []State
}

func (t *transitions) add(s State) {
	t.mu.Lock()
	t.seq = append(t.seq, s)
	t.mu.Unlock()
}

func (t *transitions) list() []State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]State(nil), t.seq...)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid names a live process.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

// runningExe counts live processes running exe (Linux /proc).
func runningExe(exe string) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if p, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && p == exe {
			n++
		}
	}
	return n
}
