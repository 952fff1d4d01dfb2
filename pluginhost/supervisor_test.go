//go:build linux

package pluginhost

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/breeze-rmm/breeze/pluginhost/pluginhosttest"
	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func TestWebhookSendThroughSupervisor(t *testing.T) {
	srv, bodies := pluginhosttest.Receiver(t)
	settings := json.RawMessage(`{"url":"` + srv.URL + `","secret":"s3cret","maxAttempts":1}`)
	logs := &logBuf{}
	spec := install(t, "webhook", sdk.KindAlertChannel)
	spec.Host = sdktest.NewFakeHost(settings) // reached over the broker when Settings is empty
	spec.Logger = testLogger(logs)
	s, _ := start(t, spec)

	st := s.Status()
	if st.State != StateRunning || st.Info.Name != "webhook" || st.Info.Kind != sdk.KindAlertChannel || !alive(st.PID) {
		t.Fatalf("status after start: %+v", st)
	}
	ch, err := s.AlertChannel()
	if err != nil {
		t.Fatal(err)
	}
	ctx := contextWithTimeout(t, 10*time.Second)
	res, err := ch.Send(ctx, sdk.Notification{ID: "n1", OrgID: "o1", Severity: "critical", Title: "Disk full", Settings: settings})
	if err != nil || !res.Delivered {
		t.Fatalf("send: %+v %v", res, err)
	}
	// Settings from the host API this time, through the typed Plugin().
	p, err := s.Plugin()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := p.(sdk.AlertChannel)
	if !ok {
		t.Fatalf("Plugin() is a %T, not an sdk.AlertChannel", p)
	}
	res, err = n.Send(ctx, sdk.Notification{ID: "n2", OrgID: "o1", Severity: "info", Title: "Via host settings", OccurredAt: time.Now()})
	if err != nil || !res.Delivered || res.Attempts != 1 {
		t.Fatalf("send with host settings: %+v %v", res, err)
	}
	got := bodies()
	if len(got) != 2 || !strings.Contains(got[0], "Disk full") || !strings.Contains(got[1], "Via host settings") {
		t.Fatalf("receiver got %q", got)
	}
	pluginhosttest.WebhookRejectsBadSettings(t, settings,
		func(s json.RawMessage) error {
			_, err := n.Send(ctx, sdk.Notification{Title: "x", Settings: s})
			return err
		},
		func(s json.RawMessage) (bool, error) {
			tr, err := n.Test(ctx, s)
			return tr.OK, err
		})
	if _, err := s.Collector(); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("Collector on an alert channel: %v", err)
	}
	if !strings.Contains(logs.String(), `"plugin_id":"test.webhook"`) {
		t.Fatalf("no log line tagged with plugin_id:\n%s", logs.String())
	}
}

func TestCollectThroughFailedunits(t *testing.T) {
	s, _ := start(t, install(t, "failedunits", sdk.KindCollector))
	c, err := s.Collector()
	if err != nil {
		t.Fatal(err)
	}
	col, err := c.Collect(contextWithTimeout(t, 20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range col.Facts {
		found = found || (f.Key == "systemd.available" && (f.Value == "true" || f.Value == "false"))
	}
	if !found {
		t.Fatalf("no systemd.available fact in %+v", col)
	}
	p, err := s.Plugin()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(sdk.Collector); !ok {
		t.Fatalf("Plugin() is a %T, not an sdk.Collector", p)
	}
}

func TestTamperedExecutableRefusedAtStart(t *testing.T) {
	spec := install(t, "webhook", sdk.KindAlertChannel)
	f, err := os.OpenFile(spec.Exec, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0}); err != nil { // one byte after hashing
		t.Fatal(err)
	}
	f.Close()
	s, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(contextWithTimeout(t, 10*time.Second))
	if !errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		t.Fatalf("start of a tampered executable: %v", err)
	}
	if st := s.Status(); st.State != StateFailed || st.PID != 0 || st.LastError == "" {
		t.Fatalf("status: %+v", st)
	}
	if n := runningExe(spec.Exec); n != 0 {
		t.Fatalf("%d processes of the tampered executable run", n)
	}
	if _, err := s.Plugin(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Plugin on a failed supervisor: %v", err)
	}
	if err := s.Stop(contextWithTimeout(t, time.Second)); err != nil || s.Status().State != StateStopped {
		t.Fatalf("stop: %v %+v", err, s.Status())
	}
}

func TestCrashingPluginIsRestarted(t *testing.T) {
	logs := &logBuf{}
	spec := install(t, "panics", sdk.KindCollector)
	spec.Logger = testLogger(logs)
	spec.MinBackoff, spec.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	s, tr := start(t, spec)
	c, _ := s.Collector()
	firstPID := s.Status().PID

	for round := 1; round <= 2; round++ {
		_, err := c.Collect(contextWithTimeout(t, 10*time.Second))
		if err == nil {
			t.Fatal("collect from a panicking plugin succeeded")
		}
		// The caller sees the plugin's own panic line and where it panicked.
		if !strings.Contains(err.Error(), "panic: panics: boom on purpose") || !strings.Contains(err.Error(), "testdata/panics/main.go:") {
			t.Fatalf("collect error does not show the panic: %v", err)
		}
		eventually(t, 10*time.Second, "restarted and running", func() bool {
			st := s.Status()
			return st.Restarts >= round && st.State == StateRunning
		})
	}
	st := s.Status()
	if st.PID == firstPID || alive(firstPID) {
		t.Fatalf("old pid %d alive=%v, new status %+v", firstPID, alive(firstPID), st)
	}
	if !strings.Contains(st.LastError, "exited") && !strings.Contains(st.LastError, "ping") {
		t.Fatalf("last error %q", st.LastError)
	}
	if !strings.Contains(st.LastError, "boom on purpose") {
		t.Fatalf("last error %q does not show the panic", st.LastError)
	}
	wantSeq(t, tr.list(), StateStarting, StateRunning, StateBackoff, StateStarting, StateRunning, StateBackoff, StateStarting, StateRunning)
	// The panic's stack went to the host's log, tagged with the plugin.
	if l := logs.String(); !strings.Contains(l, "boom on purpose") || !strings.Contains(l, `"plugin_id":"test.panics"`) {
		t.Fatalf("panic not logged:\n%s", l)
	}
}

// TestPanicAtStartSurfaces: a plugin that panics before its handshake
// fails to start with its own panic line and location in the error and
// the status, not go-plugin's "Unrecognized remote plugin message" alone.
func TestPanicAtStartSurfaces(t *testing.T) {
	spec := install(t, "panics", sdk.KindCollector)
	spec.Env = []string{"PANICS_AT_START=1"}
	s, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(contextWithTimeout(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "panic: panics: boom at start") ||
		!strings.Contains(err.Error(), "main.main at ") || !strings.Contains(err.Error(), "testdata/panics/main.go:15") ||
		strings.Contains(err.Error(), "Unrecognized remote plugin message") {
		t.Fatalf("start of a plugin panicking at start: %v", err)
	}
	var pe *PanicError
	if !errors.As(err, &pe) || pe.PluginID != "test.panics" {
		t.Fatalf("not a *PanicError: %#v", err)
	}
	if st := s.Status(); !strings.Contains(st.LastError, "boom at start") {
		t.Fatalf("status: %+v", st)
	}
	_ = s.Stop(contextWithTimeout(t, time.Second))
}

func TestPluginExitingByItselfIsRestarted(t *testing.T) {
	spec := install(t, "exits", sdk.KindCollector)
	spec.Env = []string{"EXITS_AFTER=300ms"}
	spec.MinBackoff, spec.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	s, tr := start(t, spec)
	// Three runs, each ended by the plugin and followed by a restart. On a
	// loaded machine a start can outlast the plugin's 300 ms and fail
	// (starting → backoff): that too is retried, so wait for the runs.
	want := []State{StateStarting, StateRunning, StateBackoff, StateStarting, StateRunning, StateBackoff, StateStarting, StateRunning}
	eventually(t, 30*time.Second, "three runs, each restarted", func() bool { return hasSeq(tr.list(), want...) })
	if r := s.Status().Restarts; r < 2 {
		t.Fatalf("%d restarts after three runs", r)
	}
	if le := s.Status().LastError; !strings.Contains(le, "exited") {
		t.Fatalf("last error %q", le)
	}
}

func TestHangingCallTimesOutAndRestarts(t *testing.T) {
	logs := &logBuf{}
	spec := install(t, "hangs", sdk.KindCollector)
	spec.Logger = testLogger(logs)
	spec.CallTimeout = 500 * time.Millisecond
	spec.MinBackoff, spec.MaxBackoff = 20*time.Millisecond, 50*time.Millisecond
	s, _ := start(t, spec)
	pid := s.Status().PID
	c, _ := s.Collector()

	began := time.Now()
	_, err := c.Collect(contextWithTimeout(t, 30*time.Second))
	took := time.Since(began)
	if !errors.Is(err, ErrCallTimeout) {
		t.Fatalf("hung collect: %v", err)
	}
	if took > spec.CallTimeout+2*time.Second {
		t.Fatalf("hung collect returned after %s", took)
	}
	eventually(t, 5*time.Second, "hung process killed", func() bool { return !alive(pid) })
	eventually(t, 10*time.Second, "restarted", func() bool {
		st := s.Status()
		return st.State == StateRunning && st.Restarts == 1 && st.PID != pid
	})
	if le := s.Status().LastError; !strings.Contains(le, "timed out") {
		t.Fatalf("last error %q", le)
	}
	// The plugin's stdout reached the host's log, tagged with the plugin.
	eventually(t, 5*time.Second, "stdout logged", func() bool {
		l := logs.String()
		return strings.Contains(l, "hangs: hanging now") && strings.Contains(l, `"stream":"stdout"`)
	})
	// A caller's own shorter deadline is the caller's business: no kill.
	pid = s.Status().PID
	short := contextWithTimeout(t, 100*time.Millisecond)
	if _, err := c.Collect(short); errors.Is(err, ErrCallTimeout) || err == nil {
		t.Fatalf("collect with a short caller deadline: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if st := s.Status(); st.PID != pid || st.Restarts != 1 {
		t.Fatalf("plugin restarted after a caller deadline: %+v", st)
	}
}

func TestFailedHealthPingsKillAndRestart(t *testing.T) {
	spec := install(t, "noping", sdk.KindCollector)
	spec.Env = []string{"NOPING_AFTER=300ms"}
	spec.PingEvery, spec.PingTimeout = 100*time.Millisecond, 200*time.Millisecond
	spec.MinBackoff, spec.MaxBackoff = 20*time.Millisecond, 50*time.Millisecond
	s, _ := start(t, spec)
	pid := s.Status().PID
	eventually(t, 10*time.Second, "restart after failed pings", func() bool { return s.Status().Restarts >= 1 })
	if le := s.Status().LastError; !strings.Contains(le, "health ping") {
		t.Fatalf("last error %q", le)
	}
	eventually(t, 5*time.Second, "frozen process killed", func() bool { return !alive(pid) })
}

func TestStartTimeout(t *testing.T) {
	spec := install(t, "slowstart", sdk.KindCollector)
	spec.Env = []string{"SLOWSTART_DELAY=10s"}
	spec.StartTimeout = 300 * time.Millisecond
	s, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(contextWithTimeout(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("start of a slow plugin: %v", err)
	}
	if st := s.Status(); st.State != StateFailed {
		t.Fatalf("status: %+v", st)
	}
	eventually(t, 5*time.Second, "slow plugin killed", func() bool { return runningExe(spec.Exec) == 0 })
	_ = s.Stop(contextWithTimeout(t, time.Second))
}

func TestStopKillsTheProcess(t *testing.T) {
	s, _ := start(t, install(t, "webhook", sdk.KindAlertChannel))
	pid := s.Status().PID
	if !alive(pid) {
		t.Fatalf("pid %d not alive", pid)
	}
	ch, _ := s.AlertChannel()
	if err := s.Stop(contextWithTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatalf("pid %d still alive after Stop", pid)
	}
	if err := s.Stop(contextWithTimeout(t, time.Second)); err != nil { // idempotent
		t.Fatal(err)
	}
	if st := s.Status(); st.State != StateStopped || st.PID != 0 {
		t.Fatalf("status: %+v", st)
	}
	if _, err := ch.Send(contextWithTimeout(t, time.Second), sdk.Notification{}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("send after stop: %v", err)
	}
	if err := s.Start(contextWithTimeout(t, time.Second)); !errors.Is(err, ErrStopped) {
		t.Fatalf("start after stop: %v", err)
	}
}

func TestConcurrentCallsAndStop(t *testing.T) {
	spec := install(t, "null", sdk.KindCollector)
	s, _ := start(t, spec)
	c, _ := s.Collector()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_, _ = c.Collect(contextWithTimeout(t, 5*time.Second))
				_ = s.Status()
			}
		})
	}
	for range 3 {
		wg.Go(func() { _ = s.Stop(contextWithTimeout(t, 10*time.Second)) })
	}
	wg.Wait()
	if st := s.Status(); st.State != StateStopped {
		t.Fatalf("status: %+v", st)
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	good := install(t, "null", sdk.KindCollector)
	for name, mod := range map[string]func(*Spec){
		"no id":         func(s *Spec) { s.ID = "" },
		"bad kind":      func(s *Spec) { s.Kind = "nope" },
		"relative exec": func(s *Spec) { s.Exec = "null" },
		"short hash":    func(s *Spec) { s.SHA256 = s.SHA256[:8] },
	} {
		spec := good
		mod(&spec)
		if _, err := New(spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// wantSeq checks that want appears in got in order (other states may sit in
// between).
func wantSeq(t *testing.T, got []State, want ...State) {
	t.Helper()
	if !hasSeq(got, want...) {
		t.Fatalf("state sequence %v does not contain %v in order", got, want)
	}
}

// hasSeq reports whether got contains want in order (other states between).
func hasSeq(got []State, want ...State) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
