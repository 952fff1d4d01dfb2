package archtest

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The REST handlers reach data one way: through the use-case services of
// core/app, which scope every read and write to the caller, check versions
// and name the audit resource. A handler that called the store itself could
// skip any of the three, so the rule below is checked on types, not names:
//
//	No function of adapters/http/api (test files aside) may evaluate an
//	expression whose type is a storage interface — an interface type of this
//	module whose name ends in "Store" (ports.Store, ports.PartnerStore,
//	agents.Store, ...) — except the wiring functions in apiWiring.
//
// It catches h.d.Store, h.d.Store.Partners(), a store copied into a local
// or passed to a helper, whatever the names; it does not flag a handler
// that merely imports ports for a filter type or calls a service.

// apiPackage is the package the rule applies to; handlerPackages adds the
// other REST handler packages held to it.
const apiPackage = module + "/adapters/http/api"

var handlerPackages = []string{apiPackage, module + "/adapters/http/fleetapi"}

// apiWiring are the functions that build the edge and may hold the store:
// the audit sink appends to it.
var apiWiring = map[string]bool{
	"NewServer":         true,
	"Register":          true,
	"AuditSink":         true,
	"Deps.withDefaults": true,
}

func TestHandlersCallServicesNotTheStore(t *testing.T) {
	pkgs := listPackages(t, "./adapters/http/api", "./adapters/http/fleetapi")
	for _, path := range handlerPackages {
		pkg, ok := pkgs[path]
		if !ok {
			t.Fatalf("go list did not report %s", path)
		}
		fset := token.NewFileSet()
		var files []*ast.File
		for _, name := range pkg.goFiles {
			f, err := parser.ParseFile(fset, filepath.Join(pkg.dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		uses, err := storeUses(fset, path, files, exportImporter(fset, pkgs))
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		for _, u := range uses {
			if path != apiPackage || !apiWiring[u.fn] {
				bad = append(bad, u.String())
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s: handlers must call a core/app service, never the store; found:\n  %s", path, strings.Join(bad, "\n  "))
		}
	}
}

// The rule must see a store reached through a field, a local and a call,
// and let wiring and service calls through.
func TestStoreRuleDetectsAViolation(t *testing.T) {
	pkgs := listPackages(t, "./ports")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fixture.go", storeRuleFixture, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	uses, err := storeUses(fset, "fixture", []*ast.File{f}, exportImporter(fset, pkgs))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		if !apiWiring[u.fn] {
			got = append(got, u.String())
		}
	}
	want := []string{"fixture.go:21 handlers.direct", "fixture.go:25 handlers.viaLocal", "fixture.go:26 handlers.viaLocal", "fixture.go:30 helper"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const storeRuleFixture = `package fixture

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type Deps struct{ Store ports.Store }

type service struct{}

func (service) Get(ctx context.Context, id string) (*domain.Partner, error) { return nil, nil }

type handlers struct{ d Deps; svc service }

func Register(d Deps) *handlers { _ = d.Store.Audit(); return &handlers{d: d} }

func (h *handlers) direct(ctx context.Context) {
	_, _ = h.d.Store.Partners().Get(ctx, domain.Scope{}, "id")
}

func (h *handlers) viaLocal(ctx context.Context) {
	st := h.d.Store
	helper(st)
}

func helper(st ports.Store) {
	_ = st.Ping(context.Background())
}

func (h *handlers) service(ctx context.Context) {
	_, _ = h.svc.Get(ctx, "id")
	_ = ports.OrgFilter{}
}
`

// storeUse is one line where a function evaluates a storage value.
type storeUse struct {
	fn, pos string
}

func (u storeUse) String() string { return u.pos + " " + u.fn }

// storeUses type-checks the files as package path and returns, once a line
// and function, every place a function evaluates a value of a storage type.
func storeUses(fset *token.FileSet, path string, files []*ast.File, imp types.Importer) ([]storeUse, error) {
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(path, fset, files, info); err != nil {
		return nil, fmt.Errorf("type-check %s: %w", path, err)
	}
	var out []storeUse
	seen := map[storeUse]bool{}
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				e, ok := n.(ast.Expr)
				if !ok {
					return true
				}
				if tv, ok := info.Types[e]; ok && tv.IsValue() && isStorage(tv.Type) {
					p := fset.Position(e.Pos())
					u := storeUse{fn: name, pos: fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)}
					if !seen[u] {
						seen[u] = true
						out = append(out, u)
					}
				}
				return true
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// funcName is "Recv.Method" for a method (pointer or not), else the name.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok { // a generic receiver
		t = g.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// isStorage reports whether t (or what it points to) is an interface type
// of this module named ...Store: a storage port or a service's view of one.
func isStorage(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	if _, ok := n.Underlying().(*types.Interface); !ok {
		return false
	}
	pkg := n.Obj().Pkg().Path()
	return (pkg == module || strings.HasPrefix(pkg, module+"/")) && strings.HasSuffix(n.Obj().Name(), "Store")
}

// listedPackage is what go list says of one package.
type listedPackage struct {
	export, dir string
	goFiles     []string
}

// listPackages compiles the patterns and their dependencies and returns
// each package's export data (for the type checker) and source files.
func listPackages(t *testing.T, patterns ...string) map[string]listedPackage {
	t.Helper()
	args := append([]string{"list", "-export", "-deps", "-f",
		`{{.ImportPath}}{{"\t"}}{{.Export}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .GoFiles ","}}`}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -export %v: %v\n%s", patterns, err, stderr)
	}
	pkgs := map[string]listedPackage{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		p := listedPackage{export: f[1], dir: f[2]}
		if f[3] != "" {
			p.goFiles = strings.Split(f[3], ",")
		}
		pkgs[f[0]] = p
	}
	return pkgs
}

// exportImporter imports packages from the compiler's export data.
func exportImporter(fset *token.FileSet, pkgs map[string]listedPackage) types.Importer {
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p, ok := pkgs[path]
		if !ok || p.export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(p.export)
	})
}
