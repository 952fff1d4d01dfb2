package scripts

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runner(t *testing.T) *Runner {
	t.Helper()
	return &Runner{Runtimes: NewRegistry(Builtin()...), TempDir: t.TempDir()}
}

// hostile is a parameter value that would run commands if it ever reached
// a shell string; each would create a marker file.
func hostile(dir string) string {
	m := filepath.Join(dir, "pwned")
	return `; touch ` + m + `1 $(touch ` + m + `2) | touch ` + m + `3 && touch ` + m + `4 ` + "`touch " + m + "5`" + ` '"`
}

func TestMetacharactersReachTheScriptVerbatim(t *testing.T) {
	dir := t.TempDir()
	v := hostile(dir)
	for _, lang := range []string{"sh", "bash", "python3"} {
		t.Run(lang, func(t *testing.T) {
			body := `printf '%s\n' "$1" "$P1"`
			if lang == "python3" {
				body = "import os, sys\nprint(sys.argv[1])\nprint(os.environ['P1'])\n"
			}
			res, err := runner(t).Run(context.Background(), Spec{Language: lang, Body: body,
				Args: []string{v}, Env: map[string]string{"P1": v}, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if want := v + "\n" + v + "\n"; res.Stdout != want {
				t.Fatalf("stdout %q, want %q (stderr %q)", res.Stdout, want, res.Stderr)
			}
			if res.ExitCode == nil || *res.ExitCode != 0 {
				t.Fatalf("exit %v", res.ExitCode)
			}
		})
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "pwned*"))
	if len(matches) > 0 {
		t.Fatalf("a parameter was executed: %v", matches)
	}
}

func TestHugeOutputIsCappedAndFinishes(t *testing.T) {
	// 10 GiB through the pipe: the child must never block, memory stays
	// at the cap (measured below), and the run finishes.
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := runner(t).Run(context.Background(), Spec{Language: "sh",
		Body: "head -c 10737418240 /dev/zero; echo done >&2", OutputCap: 4096, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("10 GiB drained in %v; heap in use %d KiB", time.Since(start).Round(time.Millisecond), after.HeapInuse>>10)
	if len(res.Stdout) != 4096 || !res.Truncated {
		t.Fatalf("stdout %d bytes, truncated %v", len(res.Stdout), res.Truncated)
	}
	if res.Stderr != "done\n" || res.TimedOut || res.ExitCode == nil || *res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	if after.HeapInuse > before.HeapInuse+64<<20 {
		t.Fatalf("heap grew from %d to %d bytes", before.HeapInuse, after.HeapInuse)
	}
}

func TestTimeoutKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	start := time.Now()
	res, err := runner(t).Run(context.Background(), Spec{Language: "sh",
		Body: "sleep 1000 & echo $! > " + pidFile + "\necho started\nwait", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != nil || res.Stdout != "started\n" {
		t.Fatalf("result %+v", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGone(t, pid)
}

// waitGone fails unless pid is gone (or a zombie awaiting its reaper).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("child %d still alive", pid)
}

func TestCancelKillsTheScript(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	res, err := runner(t).Run(ctx, Spec{Language: "bash", Body: "sleep 1000", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.TimedOut {
		t.Fatalf("result %+v", res)
	}
}

func TestExitCodeStderrAndMinimalEnv(t *testing.T) {
	t.Setenv("BREEZE_SECRET_OF_THE_AGENT", "leak")
	res, err := runner(t).Run(context.Background(), Spec{Language: "sh",
		Body: `echo "[$BREEZE_SECRET_OF_THE_AGENT]"; echo oops >&2; exit 3`})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == nil || *res.ExitCode != 3 || res.Stdout != "[]\n" || res.Stderr != "oops\n" {
		t.Fatalf("result %+v", res)
	}
}

func TestUnknownRuntimeAndBadEnv(t *testing.T) {
	r := runner(t)
	if _, err := r.Run(context.Background(), Spec{Language: "cobol", Body: "x"}); err == nil || !strings.Contains(err.Error(), "cobol") {
		t.Fatalf("err %v", err)
	}
	if _, err := r.Run(context.Background(), Spec{Language: "sh", Body: "x", Env: map[string]string{"A=B": "1"}}); err == nil {
		t.Fatal("bad env name accepted")
	}
	reg := NewRegistry(&Interpreter{Lang: "nope", Binary: "breeze-no-such-interpreter"})
	if got := reg.Available(); len(got) != 0 {
		t.Fatalf("available %v", got)
	}
}

func TestRunAs(t *testing.T) {
	if os.Geteuid() != 0 {
		res, err := runner(t).Run(context.Background(), Spec{Language: "sh", Body: "id -u", RunAs: "root"})
		if err == nil || !strings.Contains(err.Error(), "cannot switch") {
			t.Fatalf("non-root agent switched users: %+v %v", res, err)
		}
		return
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("this test needs the nobody user: %v", err)
	}
	res, err := runner(t).Run(context.Background(), Spec{Language: "sh", Body: "id -u; echo $HOME", RunAs: "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Uid + "\n" + u.HomeDir + "\n"; res.Stdout != want {
		t.Fatalf("stdout %q, want %q (stderr %q)", res.Stdout, want, res.Stderr)
	}
	if _, err := runner(t).Run(context.Background(), Spec{Language: "sh", Body: "id", RunAs: "breeze-no-such-user"}); err == nil {
		t.Fatal("unknown user accepted")
	}
}
