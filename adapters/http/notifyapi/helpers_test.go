package notifyapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	queueasynq "github.com/breeze-rmm/breeze/adapters/asynq"
	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/notifyapi"
	"github.com/breeze-rmm/breeze/adapters/http/pluginsapi"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

const (
	repoRoot = "../../.."
	secret   = "s3cret-hmac-key-value"
)

var (
	buildOnce sync.Once
	buildErr  error
	buildOut  []byte
	binPath   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breeze-notifyapi-bin-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "webhook")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// webhookArchive packs the real webhook plugin, built once, signed by key.
func webhookArchive(t testing.TB, key ed25519.PrivateKey) []byte {
	t.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", binPath, "./plugins/webhook")
		cmd.Dir = repoRoot
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build webhook: %v\n%s", buildErr, buildOut)
	}
	raw, err := os.ReadFile(repoRoot + "/plugins/webhook/plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["executables"] = map[string]any{runtime.GOOS + "-" + runtime.GOARCH: map[string]any{"path": "bin/webhook", "sha256": ""}}
	dir := t.TempDir()
	out, _ := json.MarshalIndent(m, "", "  ")
	bin, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "webhook"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "p.tar.gz")
	if _, err := pack.PackFile(dir, key, archive); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// env is an API server with the plugin and notification routes, the real
// plugin runtime (loopback allowed by the operator's egress allow-list), a
// durable queue of the profile and an alerts service handing its
// transitions to notify, as internal/server wires them.
type env struct {
	*apitest.TestServer
	Notify  *notify.Service
	Monitor *alerts.Service
	Queue   ports.Queue
}

func newEnv(t *testing.T, pg bool, attemptTimeout time.Duration, maxRetries int) *env {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
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
	allow, err := egress.ParseAllow("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := pluginserver.NewRuntime(pluginserver.RuntimeOptions{Store: ts.Store.Plugins(), Logger: log,
		Egress: egress.Policy{Allow: allow}, PingEvery: 200 * time.Millisecond, MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, CallTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	psvc, err := plugins.New(plugins.Deps{Store: ts.Store, Packages: &pluginserver.Packages{Trusted: []ed25519.PublicKey{pub}},
		Runtime: rt, Sealer: box, DataDir: dataDir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = psvc.Shutdown(context.Background()) })

	q := newQueue(t, ts.Store, pg, log)
	limiter := memory.NewRateLimiter(memory.RateLimiterOptions{})
	t.Cleanup(func() { _ = limiter.Close() })
	nsvc, err := notify.New(notify.Deps{Store: ts.Store, Queue: q, Channels: psvc, Limiter: limiter, Logger: log,
		AttemptTimeout: attemptTimeout, MaxRetries: maxRetries, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	nsvc.Register()
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = q.Shutdown(sctx)
		cancel()
	})
	mon, err := alerts.New(alerts.Deps{Store: ts.Store, Logger: log, Notify: nsvc})
	if err != nil {
		t.Fatal(err)
	}
	pluginsapi.Register(ts.Server, pluginsapi.Deps{Plugins: psvc})
	notifyapi.Register(ts.Server, notifyapi.Deps{Notify: nsvc})
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	e := &env{TestServer: ts, Notify: nsvc, Monitor: mon, Queue: q}
	tok := ts.Login(t, ts.Seed.Platform.Email, ts.Seed.Platform.Password)
	rec := ts.Request(t, "POST", "/api/v1/plugins", tok, webhookArchive(t, priv), map[string][]string{"Content-Type": {"application/gzip"}})
	if rec.Code != 201 {
		t.Fatalf("install webhook: %d %s", rec.Code, rec.Body.String())
	}
	e.must(t, "enable webhook", 200, "POST", "/api/v1/plugins/breeze.webhook/enable", tok, nil)
	return e
}

func newQueue(t testing.TB, st ports.Store, pg bool, log hclog.Logger) ports.Queue {
	retry := func(int) time.Duration { return 100 * time.Millisecond }
	if pg {
		client, prefix := redistest.NewClient(t)
		q, err := queueasynq.New(queueasynq.Deps{Redis: client, Prefix: prefix, Logger: log,
			PollInterval: 20 * time.Millisecond, DelayedCheck: 100 * time.Millisecond, RetryDelay: retry})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q, err := sqlite.NewQueue(sqlite.QueueDeps{Store: st.(*sqlite.Store), Logger: log, PollInterval: 20 * time.Millisecond,
		RetryDelay: retry})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (e *env) must(t testing.TB, what string, want int, method, path, tok string, body any) map[string]any {
	t.Helper()
	code, out := e.Do(t, method, path, tok, body)
	if code != want {
		t.Fatalf("%s: %s %s: %d, want %d: %v", what, method, path, code, want, out)
	}
	return out
}

// pointChannel sets org's webhook settings to url.
func (e *env) pointChannel(t testing.TB, orgID, url string) {
	t.Helper()
	tok := e.Login(t, e.Seed.Platform.Email, e.Seed.Platform.Password)
	e.must(t, "org settings", 200, "PUT", "/api/v1/plugins/breeze.webhook/orgs/"+orgID, tok, map[string]any{"enabled": true,
		"settings": map[string]any{"url": url, "secret": secret, "maxAttempts": 1, "timeoutSeconds": 30}})
}

// receiver is a webhook endpoint that checks the signature, answers 500
// to its first fail requests, or never answers when hang is set.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	fail   int
	hang   chan struct{}
	calls  int
	bodies []map[string]any // accepted ones
	at     []time.Time
}

func newReceiver(t *testing.T, fail int, hang bool) *receiver {
	r := &receiver{fail: fail}
	if hang {
		r.hang = make(chan struct{})
	}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(req.Header.Get("X-Breeze-Timestamp") + "." + string(body)))
		if !hmac.Equal([]byte(req.Header.Get("X-Breeze-Signature")), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.calls++
		failing := r.calls <= r.fail
		r.mu.Unlock()
		if r.hang != nil {
			select {
			case <-r.hang:
			case <-req.Context().Done():
			}
			return
		}
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		r.mu.Lock()
		r.bodies = append(r.bodies, m)
		r.at = append(r.at, time.Now())
		r.mu.Unlock()
	}))
	t.Cleanup(func() {
		if r.hang != nil {
			close(r.hang)
		}
		r.Close()
	})
	return r
}

func (r *receiver) got() (calls int, accepted []map[string]any, at []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, append([]map[string]any(nil), r.bodies...), append([]time.Time(nil), r.at...)
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
