package sdktest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// ScriptRuntimeFixture gives the suite scripts in the runtime's language.
type ScriptRuntimeFixture struct {
	Language string
	Hello    string // writes "hello" to stdout and exits 0
	Exit3    string // exits with code 3
	Stderr   string // writes "oops" to stderr
	Forever  string // never ends on its own
}

// ScriptRuntimeConformance runs the script runtime suite in-process over gRPC.
func ScriptRuntimeConformance(t *testing.T, factory func(t *testing.T) sdk.ScriptRuntime, fx ScriptRuntimeFixture) {
	t.Helper()
	runtimeSuite(t, inProcess(sdk.KindScriptRuntime, factory), fx)
}

// ScriptRuntimeConformanceBinary runs the same suite against a built
// plugin executable, launched as a host launches it (see Launch and Build).
func ScriptRuntimeConformanceBinary(t *testing.T, bin string, fx ScriptRuntimeFixture) {
	t.Helper()
	runtimeSuite(t, fromBinary[sdk.ScriptRuntime](sdk.KindScriptRuntime, bin), fx)
}

func runtimeSuite(t *testing.T, mk opener[sdk.ScriptRuntime], fx ScriptRuntimeFixture) {
	open := func(t *testing.T) sdk.ScriptRuntime { return mk(t, NewFakeHost(nil)) }
	run := func(t *testing.T, ctx context.Context, body string, timeout time.Duration) (sdk.ExitStatus, string, string, error) {
		var out, errOut bytes.Buffer
		st, err := open(t).Run(ctx, sdk.RunRequest{Language: fx.Language, Body: body, Timeout: timeout}, &out, &errOut)
		return st, out.String(), errOut.String(), err
	}
	t.Run("Info", func(t *testing.T) { checkInfo(t, open(t), sdk.KindScriptRuntime) })
	t.Run("Languages", func(t *testing.T) {
		langs, err := open(t).Languages(ctxT(t))
		if err != nil || !slices.Contains(langs, fx.Language) {
			t.Fatalf("Languages = %v, %v; want %q among them", langs, err, fx.Language)
		}
	})
	t.Run("Hello", func(t *testing.T) {
		st, out, _, err := run(t, ctxT(t), fx.Hello, 0)
		if err != nil || st.Code != 0 || st.TimedOut || !strings.Contains(out, "hello") {
			t.Fatalf("Hello = %+v stdout %q, %v", st, out, err)
		}
	})
	t.Run("ExitCode", func(t *testing.T) {
		st, _, _, err := run(t, ctxT(t), fx.Exit3, 0)
		if err != nil || st.Code != 3 {
			t.Fatalf("Exit3 = %+v, %v; want code 3", st, err)
		}
	})
	t.Run("Stderr", func(t *testing.T) {
		_, _, errOut, err := run(t, ctxT(t), fx.Stderr, 0)
		if err != nil || !strings.Contains(errOut, "oops") {
			t.Fatalf("Stderr: stderr %q, %v", errOut, err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		start := time.Now()
		st, _, _, err := run(t, ctxT(t), fx.Forever, 300*time.Millisecond)
		if err != nil || !st.TimedOut || st.Code == 0 {
			t.Fatalf("Forever with a timeout = %+v, %v; want TimedOut and a non-zero code", st, err)
		}
		if d := time.Since(start); d > promptly {
			t.Errorf("timeout honoured after %v", d)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, _, _, err := run(t, ctx, fx.Forever, 0)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > promptly {
			t.Errorf("cancel honoured after %v", d)
		}
	})
	t.Run("UnknownLanguage", func(t *testing.T) {
		var out bytes.Buffer
		_, err := open(t).Run(ctxT(t), sdk.RunRequest{Language: "no-such-language", Body: fx.Hello}, &out, &out)
		if !errors.Is(err, sdk.ErrInvalid) {
			t.Fatalf("unknown language = %v, want sdk.ErrInvalid", err)
		}
	})
}
