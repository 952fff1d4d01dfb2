package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// exitSignal is raised by os.exit to unwind the script.
const exitSignal = "\x00breeze-exit"

// sandbox is one script's Lua state with only safe libraries.
type sandbox struct {
	L        *lua.LState
	exitCode int
	exited   bool
}

// newSandbox opens base, table, string and math; base is stripped of
// everything that reads files or loads modules; os and io are replaced by
// tiny safe tables.
func newSandbox(stdout, stderr io.Writer, args []string, env map[string]string) *sandbox {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistryMaxSize: 1 << 20})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "require", "module", "collectgarbage", "newproxy"} {
		L.SetGlobal(name, lua.LNil)
	}
	s := &sandbox{L: L}
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
		}
		fmt.Fprintln(stdout, strings.Join(parts, "\t"))
		return 0
	}))
	L.SetGlobal("io", s.ioTable(stdout, stderr))
	L.SetGlobal("os", s.osTable(env))
	argt := L.NewTable()
	for i, a := range args {
		argt.RawSetInt(i+1, lua.LString(a))
	}
	L.SetGlobal("arg", argt)
	return s
}

func writerFn(L *lua.LState, w io.Writer, method bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		first := 1
		if method {
			first = 2 // skip self
		}
		for i := first; i <= L.GetTop(); i++ {
			io.WriteString(w, L.ToStringMeta(L.Get(i)).String())
		}
		return 0
	})
}

func (s *sandbox) ioTable(stdout, stderr io.Writer) *lua.LTable {
	L := s.L
	t := L.NewTable()
	t.RawSetString("write", writerFn(L, stdout, false))
	for name, w := range map[string]io.Writer{"stdout": stdout, "stderr": stderr} {
		f := L.NewTable()
		f.RawSetString("write", writerFn(L, w, true))
		t.RawSetString(name, f)
	}
	return t
}

func (s *sandbox) osTable(env map[string]string) *lua.LTable {
	L := s.L
	t := L.NewTable()
	start := time.Now()
	t.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
		s.exitCode, s.exited = L.OptInt(1, 0), true
		if b, ok := L.Get(1).(lua.LBool); ok && !bool(b) {
			s.exitCode = 1
		}
		L.RaiseError(exitSignal)
		return 0
	}))
	t.RawSetString("getenv", L.NewFunction(func(L *lua.LState) int {
		if v, ok := env[L.CheckString(1)]; ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	t.RawSetString("time", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(time.Now().Unix())); return 1 }))
	t.RawSetString("clock", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(time.Since(start).Seconds()))
		return 1
	}))
	return t
}
