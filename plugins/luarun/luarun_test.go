package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

var fixture = sdktest.ScriptRuntimeFixture{
	Language: "lua",
	Hello:    `print("hello")`,
	Exit3:    `os.exit(3)`,
	Stderr:   `io.stderr:write("oops\n")`,
	Forever:  `while true do end`,
}

func TestConformance(t *testing.T) {
	sdktest.ScriptRuntimeConformance(t, func(*testing.T) sdk.ScriptRuntime { return New() }, fixture)
}

func run(t *testing.T, body string, args []string, env map[string]string) (sdk.ExitStatus, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	st, err := New().Run(context.Background(), sdk.RunRequest{Language: "lua", Body: body, Args: args, Env: env, Timeout: 5 * time.Second}, &out, &errOut)
	if err != nil {
		t.Fatalf("Run(%q): %v", body, err)
	}
	return st, out.String(), errOut.String()
}

func TestSandboxHasNoEscapeHatches(t *testing.T) {
	for _, body := range []string{
		`io.open("/etc/passwd")`, `os.execute("id")`, `dofile("/etc/passwd")`, `loadfile("/etc/passwd")`,
		`require("os")`, `os.remove("/tmp/x")`, `io.popen("id")`, `package.loadlib("x", "y")`,
	} {
		st, _, errOut := run(t, body, nil, nil)
		if st.Code != 1 || errOut == "" {
			t.Errorf("%s: exit %d stderr %q; want an error", body, st.Code, errOut)
		}
	}
}

func TestArgsEnvAndErrors(t *testing.T) {
	_, out, _ := run(t, `print(arg[1], arg[2], os.getenv("WHO"), os.getenv("HOME"))`, []string{"a", "b"}, map[string]string{"WHO": "me"})
	if out != "a\tb\tme\tnil\n" {
		t.Fatalf("stdout %q", out)
	}
	st, _, errOut := run(t, `error("boom")`, nil, nil)
	if st.Code != 1 || !strings.Contains(errOut, "boom") {
		t.Fatalf("error(): %+v %q", st, errOut)
	}
	st, _, errOut = run(t, `this is not lua`, nil, nil)
	if st.Code != 1 || errOut == "" {
		t.Fatalf("syntax error: %+v %q", st, errOut)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	rt := sdktest.Subprocess[sdk.ScriptRuntime](t, ".", sdk.KindScriptRuntime, nil)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := rt.Run(ctx, sdk.RunRequest{Language: "lua", Body: `for i=1,3 do print(i) end io.stderr:write("done") os.exit(7)`}, &out, &errOut)
	if err != nil || st.Code != 7 || out.String() != "1\n2\n3\n" || errOut.String() != "done" {
		t.Fatalf("Run = %+v %v stdout %q stderr %q", st, err, out.String(), errOut.String())
	}
	// A hung script is stopped by cancelling: the plugin process survives it.
	cctx, ccancel := context.WithCancel(ctx)
	time.AfterFunc(200*time.Millisecond, ccancel)
	if _, err := rt.Run(cctx, sdk.RunRequest{Language: "lua", Body: `while true do end`}, &out, &errOut); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	out.Reset()
	if st, err := rt.Run(ctx, sdk.RunRequest{Language: "lua", Body: `print("still here")`}, &out, &errOut); err != nil || st.Code != 0 || out.String() != "still here\n" {
		t.Fatalf("after cancel: %+v %v %q", st, err, out.String())
	}
}
