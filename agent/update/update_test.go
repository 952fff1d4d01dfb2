package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// fullFS fails writes after limit bytes with ENOSPC, and the rename of a
// staged build onto failRename, like a disk that fills up during the swap.
type fullFS struct {
	OS
	limit      int64
	failRename string
}

type fullFile struct {
	*os.File
	left *int64
}

func (f fullFile) Write(p []byte) (int, error) {
	if int64(len(p)) > *f.left {
		n, _ := f.File.Write(p[:*f.left])
		*f.left = 0
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	*f.left -= int64(len(p))
	return f.File.Write(p)
}

func (fs *fullFS) Create(name string) (File, error) {
	f, err := OS{}.Create(name)
	if err != nil {
		return nil, err
	}
	left := fs.limit
	return fullFile{File: f.(*os.File), left: &left}, nil
}

func (fs *fullFS) Rename(oldpath, newpath string) error {
	if fs.failRename != "" && newpath == fs.failRename && strings.HasSuffix(oldpath, NewSuffix) {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.ENOSPC}
	}
	return OS{}.Rename(oldpath, newpath)
}

type fixture struct {
	dir, exe string
	pub      ed25519.PublicKey
	priv     ed25519.PrivateKey
	build    []byte
	sent     chan protocol.UpdateResult
	restarts chan string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	f := &fixture{dir: dir, exe: filepath.Join(dir, "breeze-agent"), pub: pub, priv: priv,
		build: bytes.Repeat([]byte("new build "), 1000), sent: make(chan protocol.UpdateResult, 20), restarts: make(chan string, 5)}
	if err := os.WriteFile(f.exe, []byte("old build"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) offer(version string, data []byte) protocol.UpdateOffer {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	sig := ed25519.Sign(f.priv, protocol.ReleaseMessage("linux", "amd64", version, h))
	return protocol.UpdateOffer{RolloutID: "r1", Version: version, OS: "linux", Arch: "amd64", SHA256: h, Size: int64(len(data)),
		Signature: base64.StdEncoding.EncodeToString(sig), BinaryPath: "/api/v1/agents/d/update/x/binary", TrialSeconds: 1}
}

func (f *fixture) manager(t *testing.T, version string, serve []byte, fsys FS) *Manager {
	t.Helper()
	m, err := New(Deps{Exe: f.exe, StateDir: f.dir, Version: version, OS: "linux", Arch: "amd64",
		Keys:  func() []ed25519.PublicKey { return []ed25519.PublicKey{f.pub} },
		Fetch: func(context.Context, string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(serve)), nil },
		Send: func(_ context.Context, v any) error {
			f.sent <- v.(protocol.UpdateResult)
			return nil
		},
		Restart: func(reason string) { f.restarts <- reason },
		Probe: func(_ context.Context, path string) (string, error) {
			return "breeze-agent 2.0.0 linux/amd64", nil
		},
		FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// result waits for a result frame of state.
func (f *fixture) result(t *testing.T, state string) protocol.UpdateResult {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case r := <-f.sent:
			if r.State == state {
				return r
			}
		case <-deadline:
			t.Fatalf("no %s result", state)
		}
	}
}

func (f *fixture) exeIs(t *testing.T, want string) {
	t.Helper()
	got, err := os.ReadFile(f.exe)
	if err != nil || string(got) != want {
		t.Fatalf("the executable is %.20q (%v), want %.20q", got, err, want)
	}
}

func (f *fixture) noLeftovers(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(f.exe + NewSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a staged build was left behind: %v", err)
	}
}

func TestInstallSwapsAndKeepsPrevious(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, "1.0.0", f.build, nil)
	m.Offer(t.Context(), f.offer("2.0.0", f.build))
	f.result(t, protocol.UpdateInstalled)
	<-f.restarts
	f.exeIs(t, string(f.build))
	if prev, _ := os.ReadFile(f.exe + PrevSuffix); string(prev) != "old build" {
		t.Fatalf(".prev is %q", prev)
	}
	// The new process: on trial, links in time, reports linked.
	m2 := f.manager(t, "2.0.0", nil, nil)
	if err := m2.Boot(); err != nil {
		t.Fatal(err)
	}
	m2.Linked(t.Context())
	r := f.result(t, protocol.UpdateLinked)
	if r.Running != "2.0.0" || r.RolloutID != "r1" {
		t.Fatalf("linked result %+v", r)
	}
	time.Sleep(1500 * time.Millisecond) // past the trial: no rollback once linked
	f.exeIs(t, string(f.build))
}

func TestTrialWithoutLinkRollsBack(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, "1.0.0", f.build, nil)
	m.Offer(t.Context(), f.offer("2.0.0", f.build))
	<-f.restarts
	m2 := f.manager(t, "2.0.0", nil, nil)
	if err := m2.Boot(); err != nil {
		t.Fatal(err)
	}
	select {
	case reason := <-f.restarts:
		if !strings.Contains(reason, "rollback") {
			t.Fatalf("restart for %q", reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no rollback after the trial")
	}
	f.exeIs(t, "old build")
	// The old build starts again and reports the rollback once linked.
	m3 := f.manager(t, "1.0.0", nil, nil)
	if err := m3.Boot(); err != nil {
		t.Fatal(err)
	}
	m3.Linked(t.Context())
	r := f.result(t, protocol.UpdateRolledBack)
	if r.Running != "1.0.0" || !strings.Contains(r.Error, "did not link") {
		t.Fatalf("rollback result %+v", r)
	}
}

func TestCrashLoopRollsBackWithoutWaiting(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, "1.0.0", f.build, nil)
	o := f.offer("2.0.0", f.build)
	o.TrialSeconds = 3600
	m.Offer(t.Context(), o)
	<-f.restarts
	for i := 0; i < DefaultMaxStarts; i++ { // starts that die before linking
		if err := f.manager(t, "2.0.0", nil, nil).Boot(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.manager(t, "2.0.0", nil, nil).Boot(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.restarts:
	case <-time.After(5 * time.Second):
		t.Fatal("a build that keeps restarting was not rolled back")
	}
	f.exeIs(t, "old build")
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name  string
		offer func(f *fixture) protocol.UpdateOffer
		serve func(f *fixture) []byte
		fs    FS
		want  string
	}{
		{"tampered", func(f *fixture) protocol.UpdateOffer { return f.offer("2.0.0", f.build) },
			func(f *fixture) []byte { b := bytes.Clone(f.build); b[10] ^= 1; return b }, nil, "sha256"},
		{"truncated", func(f *fixture) protocol.UpdateOffer { return f.offer("2.0.0", f.build) },
			func(f *fixture) []byte { return f.build[:len(f.build)/2] }, nil, "truncated"},
		{"wrong signature", func(f *fixture) protocol.UpdateOffer {
			o := f.offer("2.0.0", f.build)
			o.Version = "2.0.1" // signed as 2.0.0
			return o
		}, func(f *fixture) []byte { return f.build }, nil, "signature"},
		{"untrusted key", func(f *fixture) protocol.UpdateOffer {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			o := f.offer("2.0.0", f.build)
			o.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(other, protocol.ReleaseMessage("linux", "amd64", "2.0.0", o.SHA256)))
			return o
		}, func(f *fixture) []byte { return f.build }, nil, "signature"},
		{"downgrade", func(f *fixture) protocol.UpdateOffer { return f.offer("0.9.0", f.build) },
			func(f *fixture) []byte { return f.build }, nil, "downgrade"},
		{"other platform", func(f *fixture) protocol.UpdateOffer {
			o := f.offer("2.0.0", f.build)
			o.Arch = "arm64"
			return o
		}, func(f *fixture) []byte { return f.build }, nil, "arm64"},
		{"disk full while staging", func(f *fixture) protocol.UpdateOffer { return f.offer("2.0.0", f.build) },
			func(f *fixture) []byte { return f.build }, &fullFS{limit: 100}, "no space"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			m := f.manager(t, "1.0.0", c.serve(f), c.fs)
			m.Offer(t.Context(), c.offer(f))
			r := f.result(t, protocol.UpdateFailed)
			if !strings.Contains(r.Error, c.want) {
				t.Fatalf("failure %q, want it to mention %q", r.Error, c.want)
			}
			select {
			case reason := <-f.restarts:
				t.Fatalf("restarted (%s) after a refusal", reason)
			case <-time.After(50 * time.Millisecond):
			}
			f.exeIs(t, "old build")
			f.noLeftovers(t)
		})
	}
}

func TestDowngradeAllowedByTheRollout(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, "3.0.0", f.build, nil)
	o := f.offer("2.0.0", f.build)
	o.AllowDowngrade = true
	m.Offer(t.Context(), o)
	f.result(t, protocol.UpdateInstalled)
	<-f.restarts
	f.exeIs(t, string(f.build))
}

// TestDiskFullDuringSwap: the rename that installs the new build fails
// (ENOSPC): the running build stays the executable, nothing restarts.
func TestDiskFullDuringSwap(t *testing.T) {
	f := newFixture(t)
	fsys := &fullFS{limit: 1 << 30}
	fsys.failRename = f.exe
	m := f.manager(t, "1.0.0", f.build, fsys)
	m.Offer(t.Context(), f.offer("2.0.0", f.build))
	r := f.result(t, protocol.UpdateFailed)
	if !strings.Contains(r.Error, "install the new build") {
		t.Fatalf("failure %q", r.Error)
	}
	select {
	case <-f.restarts:
		t.Fatal("restarted after a failed swap")
	case <-time.After(50 * time.Millisecond):
	}
	f.exeIs(t, "old build")
	f.noLeftovers(t)
	if _, err := os.Stat(filepath.Join(f.dir, "update.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a trial was left recorded after a failed swap: %v", err)
	}
}

// TestSwapWithoutHardLinks: where the running executable cannot be linked
// (Windows), it is renamed away; a failing second rename puts it back.
func TestSwapWithoutHardLinks(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "agent")
	_ = os.WriteFile(exe, []byte("old"), 0o755)
	_ = os.WriteFile(exe+NewSuffix, []byte("new"), 0o755)
	fsys := &noLinkFS{fullFS: fullFS{failRename: exe}}
	if err := Swap(fsys, exe, exe+NewSuffix); err == nil {
		t.Fatal("swap succeeded although the install rename failed")
	}
	if b, _ := os.ReadFile(exe); string(b) != "old" {
		t.Fatalf("after a failed swap the executable is %q", b)
	}
	fsys.failRename = ""
	if err := Swap(fsys, exe, exe+NewSuffix); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(exe); string(b) != "new" {
		t.Fatalf("after the swap the executable is %q", b)
	}
	if b, _ := os.ReadFile(exe + PrevSuffix); string(b) != "old" {
		t.Fatalf(".prev is %q", b)
	}
}

type noLinkFS struct{ fullFS }

func (*noLinkFS) Link(string, string) error { return errors.New("links unsupported") }

func TestOneUpdateAtATime(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	gate := make(chan struct{})
	calls := 0
	m, _ := New(Deps{Exe: f.exe, StateDir: f.dir, Version: "1.0.0", OS: "linux", Arch: "amd64",
		Keys: func() []ed25519.PublicKey { return []ed25519.PublicKey{f.pub} },
		Fetch: func(context.Context, string) (io.ReadCloser, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			<-gate
			return io.NopCloser(bytes.NewReader(f.build)), nil
		},
		Send: func(context.Context, any) error { return nil }, Restart: func(string) { f.restarts <- "" }})
	o := f.offer("2.0.0", f.build)
	m.Offer(t.Context(), o)
	time.Sleep(50 * time.Millisecond)
	m.Offer(t.Context(), o) // ignored: one runs
	close(gate)
	<-f.restarts
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("%d downloads for two offers while one ran", calls)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
		ok   bool
	}{{"1.2.3", "1.2.3", 0, true}, {"1.10.0", "1.9.9", 1, true}, {"v2", "1.9", 1, true}, {"1.0.0-rc1", "1.0.0", -1, true},
		{"dev", "1.0.0", 0, false}} {
		got, ok := protocol.CompareVersions(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

// TestSwapRenamingAway: where the running build cannot be replaced by a
// rename after a hard link (Windows), it is renamed away and back; a
// rollback that cannot rename over the running build moves it aside.
func TestSwapRenamingAway(t *testing.T) {
	hardLinks = false
	defer func() { hardLinks = true }()
	dir := t.TempDir()
	exe := filepath.Join(dir, "agent")
	_ = os.WriteFile(exe, []byte("old"), 0o755)
	_ = os.WriteFile(exe+NewSuffix, []byte("new"), 0o755)
	if err := Swap(OS{}, exe, exe+NewSuffix); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(exe); string(b) != "new" {
		t.Fatalf("after the swap the executable is %q", b)
	}
	fsys := &busyFS{busy: exe}
	if err := Rollback(fsys, exe); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(exe); string(b) != "old" {
		t.Fatalf("after the rollback the executable is %q", b)
	}
	if b, _ := os.ReadFile(exe + FailedSuffix); string(b) != "new" {
		t.Fatalf("the failed build is %q", b)
	}
}

// busyFS refuses a rename onto busy while busy exists (a running executable on Windows).
type busyFS struct {
	OS
	busy string
}

func (fs *busyFS) Rename(oldpath, newpath string) error {
	if newpath == fs.busy {
		if _, err := os.Stat(fs.busy); err == nil {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EACCES}
		}
	}
	return os.Rename(oldpath, newpath)
}
