// Command scriptruntime is a template script runtime plugin for a made-up
// language where each line is "say TEXT", "warn TEXT", "exit N" or "loop".
package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/breeze-rmm/breeze/sdk"
)

// Runtime is your script runtime.
type Runtime struct{}

func (*Runtime) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "my-runtime", Version: "0.1.0"}, nil
}

func (*Runtime) Languages(context.Context) ([]string, error) { return []string{"say"}, nil }

func (*Runtime) Run(ctx context.Context, req sdk.RunRequest, stdout, stderr io.Writer) (sdk.ExitStatus, error) {
	if req.Language != "say" {
		return sdk.ExitStatus{}, sdk.Invalidf("language %q", req.Language)
	}
	runCtx := ctx
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	for _, line := range strings.Split(req.Body, "\n") {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "say":
			fmt.Fprintln(stdout, arg)
		case "warn":
			fmt.Fprintln(stderr, arg)
		case "exit":
			var code int
			fmt.Sscan(arg, &code)
			return sdk.ExitStatus{Code: code}, nil
		case "loop":
			<-runCtx.Done()
		}
		if ctx.Err() != nil {
			return sdk.ExitStatus{}, ctx.Err() // cancelled by the host
		}
		if runCtx.Err() != nil {
			return sdk.ExitStatus{Code: 124, TimedOut: true}, nil
		}
	}
	return sdk.ExitStatus{}, nil
}

func main() { sdk.ServeScriptRuntime(&Runtime{}) }
