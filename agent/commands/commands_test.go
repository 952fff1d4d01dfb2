package commands

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
)

// wire records frames; while down, sends fail as over a lost link.
type wire struct {
	pages  []protocol.DiscoverPage
	mu     sync.Mutex
	down   bool
	acks   []protocol.CommandAck
	result chan protocol.CommandResult
}

func newWire() *wire { return &wire{result: make(chan protocol.CommandResult, 64)} }

func (w *wire) Send(_ context.Context, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		return errors.New("link is down")
	}
	switch f := v.(type) {
	case protocol.CommandAck:
		w.acks = append(w.acks, f)
	case protocol.CommandResult:
		w.result <- f
	case protocol.DiscoverPage:
		w.pages = append(w.pages, f)
	}
	return nil
}

func (w *wire) setDown(d bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down = d
}

func (w *wire) ackStates(id string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var s []string
	for _, a := range w.acks {
		if a.ID == id {
			s = append(s, a.State)
		}
	}
	return s
}

func (w *wire) next(t *testing.T) protocol.CommandResult {
	t.Helper()
	select {
	case r := <-w.result:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("no command_result")
		return protocol.CommandResult{}
	}
}

func (w *wire) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-w.result:
		t.Fatalf("unexpected result %+v", r)
	case <-time.After(d):
	}
}

type fixture struct {
	dir   string
	state string
	w     *wire
	power string
	inv   int
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	return &fixture{dir: dir, state: filepath.Join(dir, "state", "commands.json"), w: newWire(), power: filepath.Join(dir, "power.log")}
}

func (f *fixture) executor(t *testing.T) *Executor {
	t.Helper()
	e, err := New(Deps{
		StatePath: f.state,
		Sender:    f.w,
		Scripts:   &scripts.Runner{Runtimes: scripts.NewRegistry(scripts.Builtin()...), TempDir: t.TempDir()},
		Inventory: func(context.Context) error { f.inv++; return nil },
		Power:     NewDryRunPower(f.power),
		Systemctl: f.fakeSystemctl(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Wait)
	return e
}

// fakeSystemctl records its argv and answers like systemd would.
func (f *fixture) fakeSystemctl(t *testing.T) string {
	p := filepath.Join(f.dir, "systemctl")
	script := `#!/bin/sh
printf '%s\n' "$*" >> ` + filepath.Join(f.dir, "systemctl.log") + `
case "$1" in
list-units) echo '[{"unit":"ssh.service","load":"loaded","active":"active","sub":"running","description":"OpenSSH server"},{"unit":"cron.service","load":"loaded","active":"inactive","sub":"dead","description":"Cron"}]' ;;
list-unit-files) printf 'ssh.service enabled enabled\ncron.service disabled enabled\n' ;;
restart) [ "$3" = "ssh" ] || { echo "Unit $3.service not found." >&2; exit 5; } ;;
esac
`
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func cmd(t *testing.T, id, action string, payload any, timeout int) []byte {
	t.Helper()
	c := protocol.Command{Header: protocol.Header{Type: protocol.TypeCommand, ID: id}, Action: action, TimeoutSeconds: timeout}
	if payload != nil {
		c.Payload, _ = json.Marshal(payload)
	}
	b, _ := json.Marshal(c)
	return b
}

func script(body string) protocol.RunScriptPayload {
	return protocol.RunScriptPayload{Language: "sh", Body: body}
}

func TestRunScriptAndRepeatsRunOnce(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	count := filepath.Join(f.dir, "count")
	body := script("echo run >> " + count + "; sleep 0.3; echo out")
	ctx := context.Background()
	e.Handle(ctx, cmd(t, "c1", protocol.ActionRunScript, body, 10))
	time.Sleep(100 * time.Millisecond)
	e.Handle(ctx, cmd(t, "c1", protocol.ActionRunScript, body, 10)) // while running
	r := f.w.next(t)
	if r.ID != "c1" || r.Status != protocol.ResultSucceeded || r.Stdout != "out\n" || r.ExitCode == nil || *r.ExitCode != 0 {
		t.Fatalf("result %+v", r)
	}
	e.Handle(ctx, cmd(t, "c1", protocol.ActionRunScript, body, 10)) // after it finished
	if r2 := f.w.next(t); r2.ID != "c1" || r2.Stdout != "out\n" {
		t.Fatalf("repeat result %+v", r2)
	}
	e.Wait()
	if got := strings.Join(f.w.ackStates("c1"), ","); got != "running,running,done" {
		t.Fatalf("acks %s", got)
	}
	// A restarted agent remembers the id too.
	e2 := f.executor(t)
	e2.Handle(ctx, cmd(t, "c1", protocol.ActionRunScript, body, 10))
	if r3 := f.w.next(t); r3.Stdout != "out\n" || r3.Status != protocol.ResultSucceeded {
		t.Fatalf("after restart %+v", r3)
	}
	e2.Wait()
	data, _ := os.ReadFile(count)
	if n := strings.Count(string(data), "run"); n != 1 {
		t.Fatalf("script ran %d times", n)
	}
}

func TestStartedBeforeRestartIsFailedNotRerun(t *testing.T) {
	f := newFixture(t)
	// What a crash mid-run leaves: the id recorded as started.
	st := storeFile{Version: 1, Entries: []*entry{{ID: "c9", Action: protocol.ActionRunScript, State: stateStarted, Received: time.Now().UTC()}}}
	b, _ := json.Marshal(st)
	if err := os.MkdirAll(filepath.Dir(f.state), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.state, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := f.executor(t)
	e.Resend(context.Background())
	r := f.w.next(t)
	if r.ID != "c9" || r.Status != protocol.ResultFailed || r.Error != restartedError {
		t.Fatalf("result %+v", r)
	}
	count := filepath.Join(f.dir, "count")
	e.Handle(context.Background(), cmd(t, "c9", protocol.ActionRunScript, script("echo run >> "+count), 10))
	if r := f.w.next(t); r.Error != restartedError {
		t.Fatalf("repeat %+v", r)
	}
	e.Wait()
	if _, err := os.Stat(count); err == nil {
		t.Fatal("a command started before the restart ran again")
	}
	// Delivered once: nothing left to resend.
	e.Resend(context.Background())
	f.w.none(t, 100*time.Millisecond)
}

func TestResultsWaitForTheNextLink(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	f.w.setDown(true)
	e.Handle(context.Background(), cmd(t, "c2", protocol.ActionRunScript, script("echo offline"), 10))
	e.Wait()
	f.w.none(t, 50*time.Millisecond)
	// Even across a restart.
	e2 := f.executor(t)
	f.w.setDown(false)
	e2.Resend(context.Background())
	if r := f.w.next(t); r.ID != "c2" || r.Stdout != "offline\n" {
		t.Fatalf("result %+v", r)
	}
	e2.Resend(context.Background())
	f.w.none(t, 50*time.Millisecond)
}

func TestScriptOutcomes(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	ctx := context.Background()
	e.Handle(ctx, cmd(t, "fail", protocol.ActionRunScript, script("echo e >&2; exit 4"), 10))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || *r.ExitCode != 4 || r.Stderr != "e\n" {
		t.Fatalf("%+v", r)
	}
	e.Handle(ctx, cmd(t, "slow", protocol.ActionRunScript, script("sleep 100"), 1))
	if r := f.w.next(t); r.Status != protocol.ResultTimedOut {
		t.Fatalf("%+v", r)
	}
	e.Handle(ctx, cmd(t, "lang", protocol.ActionRunScript, protocol.RunScriptPayload{Language: "cobol", Body: "x"}, 10))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "cobol") {
		t.Fatalf("%+v", r)
	}
	e.Handle(ctx, cmd(t, "huge", protocol.ActionRunScript, script("head -c 3000000 /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero | tr '\\0' b >&2"), 10))
	r := f.w.next(t)
	b, _ := json.Marshal(r)
	if !r.Truncated || len(b) > protocol.MaxAgentFrame || len(r.Stdout) == 0 {
		t.Fatalf("huge result: truncated %v, %d bytes", r.Truncated, len(b))
	}
}

func TestActions(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	ctx := context.Background()
	run := func(id, action string, payload any) protocol.CommandResult {
		t.Helper()
		e.Handle(ctx, cmd(t, id, action, payload, 20))
		return f.w.next(t)
	}

	r := run("p", protocol.ActionListProcesses, nil)
	var ps []protocol.Process
	if err := json.Unmarshal(r.Data, &ps); err != nil || r.Status != protocol.ResultSucceeded {
		t.Fatalf("%+v %v", r, err)
	}
	found := false
	for _, p := range ps {
		found = found || int(p.PID) == os.Getpid()
	}
	if !found {
		t.Fatalf("own pid missing from %d processes", len(ps))
	}

	sleeper := exec.Command("sleep", "100")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	r = run("k", protocol.ActionKillProcess, protocol.KillProcessPayload{PID: sleeper.Process.Pid, Signal: "KILL"})
	if r.Status != protocol.ResultSucceeded {
		t.Fatalf("%+v", r)
	}
	if err := sleeper.Wait(); err == nil || sleeper.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("sleeper not killed: %v", err)
	}
	if r = run("k1", protocol.ActionKillProcess, protocol.KillProcessPayload{PID: 1}); r.Status != protocol.ResultFailed {
		t.Fatalf("pid 1: %+v", r)
	}

	r = run("ls", protocol.ActionListServices, nil)
	var svcs []protocol.Service
	_ = json.Unmarshal(r.Data, &svcs)
	if r.Status != protocol.ResultSucceeded || len(svcs) != 2 || svcs[0] != (protocol.Service{Name: "ssh", Description: "OpenSSH server", State: "running", Enabled: true}) ||
		svcs[1].State != "stopped" || svcs[1].Enabled {
		t.Fatalf("%+v %+v", r, svcs)
	}
	if r = run("rs", protocol.ActionRestartService, protocol.ServicePayload{Name: "ssh"}); r.Status != protocol.ResultSucceeded {
		t.Fatalf("%+v", r)
	}
	if r = run("rs2", protocol.ActionRestartService, protocol.ServicePayload{Name: "nope"}); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "not found") {
		t.Fatalf("%+v", r)
	}
	for i, bad := range []string{"ssh; reboot", "-H host", "$(reboot)", "a b", "", "../x", "ssh\nreboot"} {
		r = run("bad"+string(rune('a'+i)), protocol.ActionRestartService, protocol.ServicePayload{Name: bad})
		if r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "service name") {
			t.Fatalf("%q: %+v", bad, r)
		}
	}
	log, _ := os.ReadFile(filepath.Join(f.dir, "systemctl.log"))
	if got := strings.Count(string(log), "restart"); got != 2 {
		t.Fatalf("systemctl restart ran %d times:\n%s", got, log)
	}

	if r = run("inv", protocol.ActionCollectInventory, nil); r.Status != protocol.ResultSucceeded || f.inv != 1 {
		t.Fatalf("%+v", r)
	}
	if r = run("rb", protocol.ActionReboot, protocol.RebootPayload{DelaySeconds: 90}); r.Status != protocol.ResultSucceeded {
		t.Fatalf("%+v", r)
	}
	if r = run("un", protocol.ActionUninstallAgent, nil); r.Status != protocol.ResultSucceeded {
		t.Fatalf("%+v", r)
	}
	rec, _ := os.ReadFile(f.power)
	lines := strings.Split(strings.TrimSpace(string(rec)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"action":"reboot","delaySeconds":90`) || !strings.Contains(lines[1], "uninstall_agent") {
		t.Fatalf("power record:\n%s", rec)
	}
	if r = run("x", "format_disk", nil); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, `unknown action "format_disk"`) {
		t.Fatalf("%+v", r)
	}
}

func TestStoreIsBounded(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	s, err := openStore(f.state, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	s.limit = 40
	for i := 0; i < s.limit+10; i++ {
		id := "id-" + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + time.Duration(i).String()
		if _, err := s.begin(id, "a"); err != nil {
			t.Fatal(err)
		}
		_ = s.finish(id, protocol.CommandResult{Header: header(id), Status: protocol.ResultSucceeded})
		_ = s.delivered(id)
		now = now.Add(time.Second)
	}
	if n := len(s.entries); n != s.limit {
		t.Fatalf("%d entries", n)
	}
	now = now.Add(maxAge + time.Hour)
	_, _ = s.begin("fresh", "a")
	if n := len(s.entries); n != 1 {
		t.Fatalf("%d entries after a week", n)
	}
}

// With a server that acknowledges stored results, a result written to the
// link is not done: it stays on disk and is sent again on the same link
// until command_stored comes, and after a restart too; once acknowledged
// it is never sent again.
func TestResultsKeptUntilTheServerStoredThem(t *testing.T) {
	old := resendAfter
	resendAfter = 100 * time.Millisecond
	defer func() { resendAfter = old }()
	f := newFixture(t)
	e := f.executor(t)
	e.SetResultAcks(true)
	e.Handle(context.Background(), cmd(t, "c3", protocol.ActionRunScript, script("echo kept"), 10))
	if r := f.w.next(t); r.ID != "c3" {
		t.Fatalf("result %+v", r)
	}
	// The server could not store it (no acknowledgement): sent again.
	if r := f.w.next(t); r.ID != "c3" || r.Stdout != "kept\n" {
		t.Fatalf("resent result %+v", r)
	}
	// A restart before the acknowledgement: the next link gets it again.
	e.Wait()
	e.SetResultAcks(false) // the first process is gone: its timers stop
	e2 := f.executor(t)
	e2.SetResultAcks(true)
	for drained := false; !drained; { // a timer of the first may still fire once
		select {
		case <-f.w.result:
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	e2.Resend(context.Background())
	if r := f.w.next(t); r.ID != "c3" {
		t.Fatalf("result after restart %+v", r)
	}
	e2.HandleFrame(context.Background(), protocol.TypeCommandStored,
		[]byte(`{"type":"command_stored","id":"c3"}`))
	time.Sleep(300 * time.Millisecond)
	for len(f.w.result) > 0 {
		<-f.w.result
	}
	f.w.none(t, 300*time.Millisecond)
	e3 := f.executor(t)
	e3.SetResultAcks(true)
	e3.Resend(context.Background())
	f.w.none(t, 100*time.Millisecond)
}
