package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// Every Type* constant of the package has its entry in the routing table.
func TestEveryFrameTypeIsRouted(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, f := range pkgs["protocol"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Values) != len(vs.Names) {
				return true
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !strings.HasPrefix(name.Name, "Type") || !ok || lit.Kind != token.STRING {
					continue
				}
				declared++
				v, _ := strconv.Unquote(lit.Value)
				if _, ok := Frame(v); !ok {
					t.Errorf("%s (%q) has no entry in the frame table", name.Name, v)
				}
			}
			return true
		})
	}
	if declared < 20 || declared != len(FrameTypes()) {
		t.Fatalf("%d Type constants, %d table entries", declared, len(FrameTypes()))
	}
}

func TestRemoteFrames(t *testing.T) {
	for _, c := range []struct {
		typ  string
		d    Dir
		want bool
	}{
		{TypeCommandResult, ToServer, true}, {TypeCommandResult, ToAgent, false},
		{TypeCommandCancel, ToAgent, true}, {TypeCommandCancel, ToServer, false},
		{TypeFileChunk, ToServer, true}, {TypeFileChunk, ToAgent, true},
		{TypeTerminalInput, ToAgent, true}, {TypeHeartbeat, ToServer, false},
		{TypePluginStates, ToServer, false}, {"nope", ToServer, false},
	} {
		if got := RemoteFrom(c.typ, c.d); got != c.want {
			t.Errorf("RemoteFrom(%s, %d) = %v", c.typ, c.d, got)
		}
	}
}
