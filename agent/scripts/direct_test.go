package scripts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// echoRuntime is a Direct runtime: it prints its body and args, or sleeps
// when the body says "sleep".
type echoRuntime struct{ calls int }

func (*echoRuntime) Name() string    { return "echo" }
func (*echoRuntime) Available() bool { return true }
func (*echoRuntime) FileExt() string { return "" }
func (*echoRuntime) Command(context.Context, string, []string) (*exec.Cmd, error) {
	return nil, errors.New("direct only")
}

func (e *echoRuntime) RunDirect(ctx context.Context, d DirectRun, stdout, stderr io.Writer) (int, bool, error) {
	e.calls++
	if d.Body == "sleep" {
		<-ctx.Done()
		return 0, false, ctx.Err()
	}
	fmt.Fprintf(stdout, "%s %s %s", d.Body, strings.Join(d.Args, ","), d.Env["X"])
	fmt.Fprint(stderr, strings.Repeat("e", 100))
	return 3, false, nil
}

func TestDirectRuntime(t *testing.T) {
	rt := &echoRuntime{}
	reg := NewRegistry(Builtin()...)
	if !reg.AddNew(rt) || reg.AddNew(&Interpreter{Lang: "sh", Binary: "sh"}) {
		t.Fatal("AddNew: a new name is taken, a used one is refused")
	}
	r := &Runner{Runtimes: reg}
	res, err := r.Run(context.Background(), Spec{Language: "echo", Body: "hi", Args: []string{"a", "b"}, Env: map[string]string{"X": "y"}, OutputCap: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == nil || *res.ExitCode != 3 || res.Stdout != "hi a,b y" || len(res.Stderr) != 50 || !res.Truncated {
		t.Fatalf("%+v", res)
	}
	res, err = r.Run(context.Background(), Spec{Language: "echo", Body: "sleep", Timeout: 50 * time.Millisecond})
	if err != nil || !res.TimedOut || res.ExitCode != nil {
		t.Fatalf("timeout: %+v %v", res, err)
	}
	if _, err := r.Run(context.Background(), Spec{Language: "echo", Body: "x", Env: map[string]string{"bad name": "1"}}); err == nil {
		t.Fatal("bad env name accepted")
	}
	if _, err := r.Run(context.Background(), Spec{Language: "echo", Body: "x", RunAs: "nobody-such-user-xyz"}); err == nil {
		t.Fatal("unknown runAs accepted")
	}
	reg.Remove(&echoRuntime{}) // another value: not removed
	if _, ok := reg.Get("echo"); !ok {
		t.Fatal("Remove took a runtime it was not given")
	}
	reg.Remove(rt)
	if _, ok := reg.Get("echo"); ok {
		t.Fatal("still registered")
	}
}
