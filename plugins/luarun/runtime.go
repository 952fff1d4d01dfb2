package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// Exit codes for runs that did not call os.exit themselves.
const (
	codeError   = 1
	codeTimeout = 124 // as timeout(1)
)

// Runtime is the Lua script runtime.
type Runtime struct{}

// New returns the runtime.
func New() *Runtime { return &Runtime{} }

func (*Runtime) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "luarun", Version: version, Description: "Sandboxed Lua 5.1 (gopher-lua)"}, nil
}

func (*Runtime) Languages(context.Context) ([]string, error) { return []string{"lua"}, nil }

// Run executes the script. The VM checks ctx as it runs, so a timeout or a
// cancel stops even a tight loop.
func (*Runtime) Run(ctx context.Context, req sdk.RunRequest, stdout, stderr io.Writer) (sdk.ExitStatus, error) {
	if req.Language != "lua" {
		return sdk.ExitStatus{}, sdk.Invalidf("language %q: this runtime runs lua", req.Language)
	}
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if req.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, req.Timeout)
	}
	defer cancel()
	s := newSandbox(stdout, stderr, req.Args, req.Env)
	defer s.L.Close()
	s.L.SetContext(runCtx)
	fn, err := s.L.LoadString(req.Body)
	if err != nil {
		fmt.Fprintf(stderr, "lua: %v\n", err)
		return sdk.ExitStatus{Code: codeError}, nil
	}
	s.L.Push(fn)
	err = s.L.PCall(0, lua.MultRet, nil)
	switch {
	case s.exited:
		return sdk.ExitStatus{Code: s.exitCode}, nil
	case ctx.Err() != nil:
		return sdk.ExitStatus{}, ctx.Err()
	case runCtx.Err() != nil:
		fmt.Fprintf(stderr, "lua: timed out after %v\n", req.Timeout)
		return sdk.ExitStatus{Code: codeTimeout, TimedOut: true}, nil
	case err != nil:
		fmt.Fprintf(stderr, "lua: %s\n", errMessage(err))
		return sdk.ExitStatus{Code: codeError}, nil
	}
	return sdk.ExitStatus{Code: 0}, nil
}

func errMessage(err error) string {
	var api *lua.ApiError
	if errors.As(err, &api) && api.Object != nil {
		return strings.TrimSpace(api.Object.String())
	}
	return err.Error()
}
