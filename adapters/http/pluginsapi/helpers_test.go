package pluginsapi_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/pluginsapi"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

const repoRoot = "../../.."

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breeze-pluginsapi-bin-")
	if err != nil {
		panic(err)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds a plugin main package once per test run.
func binary(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	out := filepath.Join(buildDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

// pluginDir lays out a plugin directory from a manifest file and a built
// binary: the executables are narrowed to this platform, version and id
// overridden when given.
func pluginDir(t testing.TB, manifestPath, pkg, version string, edit func(m map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(pkg)
	m["executables"] = map[string]any{runtime.GOOS + "-" + runtime.GOARCH: map[string]any{"path": "bin/" + name, "sha256": ""}}
	if version != "" {
		m["version"] = version
	}
	if edit != nil {
		edit(m)
	}
	dir := t.TempDir()
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(binary(t, pkg))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", name), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// packed packs dir signed with key (nil: unsigned) and returns the bytes.
func packed(t testing.TB, dir string, key ed25519.PrivateKey) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "p.tar.gz")
	if _, err := pack.PackFile(dir, key, out); err != nil {
		t.Fatalf("pack %s: %v", dir, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func webhookArchive(t testing.TB, key ed25519.PrivateKey, version string) []byte {
	return packed(t, pluginDir(t, repoRoot+"/plugins/webhook/plugin.json", "./plugins/webhook", version, nil), key)
}

// env is an API server with the plugin routes and a real runtime.
type env struct {
	*apitest.TestServer
	Svc     *plugins.Service
	DataDir string
	Key     ed25519.PrivateKey
	Pushed  *pushLog
}

// box opens the env's secret box again (same data directory, same key).
func (e *env) box(t testing.TB) *secretbox.Box {
	t.Helper()
	b, err := secretbox.Open("", e.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func trustedOf(pub crypto.PublicKey) []ed25519.PublicKey {
	return []ed25519.PublicKey{pub.(ed25519.PublicKey)}
}

type envOptions struct {
	allowUnsigned bool
	devMode       bool   // the service's RunUnsigned without unsigned uploads
	egressAllow   string // the operator's --plugin-egress-allow
	sandbox       pluginserver.Sandbox
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ts := apitest.NewServer(t)
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	box, err := secretbox.Open("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	log := hclog.New(&hclog.LoggerOptions{Output: ts.Logs, Level: hclog.Info, JSONFormat: true})
	allow, err := egress.ParseAllow(o.egressAllow)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := pluginserver.NewRuntime(pluginserver.RuntimeOptions{
		Store: ts.Store.Plugins(), Logger: log, Egress: egress.Policy{Allow: allow}, Sandbox: o.sandbox,
		PingEvery: 200 * time.Millisecond, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		CallTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	pushed := &pushLog{}
	svc, err := plugins.New(plugins.Deps{
		Store:    ts.Store,
		Packages: &pluginserver.Packages{Trusted: []ed25519.PublicKey{pub}, AllowUnsigned: o.allowUnsigned},
		Runtime:  rt, Sealer: box, Agents: pushed, DataDir: dataDir, Logger: log,
		RunUnsigned: o.allowUnsigned || o.devMode,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Shutdown(t.Context()) })
	pluginsapi.Register(ts.Server, pluginsapi.Deps{Plugins: svc})
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	return &env{TestServer: ts, Svc: svc, DataDir: dataDir, Key: priv, Pushed: pushed}
}

func (e *env) platformToken(t testing.TB) string {
	return e.Login(t, e.Seed.Platform.Email, e.Seed.Platform.Password)
}

// upload posts an archive as the raw body.
func (e *env) upload(t testing.TB, token string, archive []byte) (int, map[string]any) {
	t.Helper()
	rec := e.Request(t, "POST", "/api/v1/plugins", token, archive, map[string][]string{"Content-Type": {"application/gzip"}})
	return rec.Code, apitest.DecodeJSON(t, rec)
}

// lastAudit is the newest audit row of action.
func (e *env) lastAudit(t testing.TB, action string) map[string]string {
	t.Helper()
	for _, r := range e.AuditRows(t) {
		if r.Action == action {
			d := map[string]string{}
			_ = json.Unmarshal([]byte(r.Details), &d)
			d["_outcome"], d["_resource"], d["_actor"] = string(r.Outcome), r.ResourceID, r.ActorType
			d["_org"] = r.OrgID
			return d
		}
	}
	t.Fatalf("no audit row for %s", action)
	return nil
}

// pushLog records the frames the service pushes to agents.
type pushLog struct {
	mu     sync.Mutex
	frames map[string][]any
}

func (p *pushLog) ToAgent(_ context.Context, deviceID string, frame any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frames == nil {
		p.frames = map[string][]any{}
	}
	p.frames[deviceID] = append(p.frames[deviceID], frame)
	return nil
}

func (p *pushLog) count(deviceID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.frames[deviceID])
}

func (p *pushLog) last(deviceID string) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	fs := p.frames[deviceID]
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

func mustStatus(t testing.TB, what string, got, want int, body any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %v", what, got, want, body)
	}
}

var _ = fmt.Sprintf
