package e2e

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

// The cluster tests put the real front in front of real nodes: Debian's
// caddy running deploy/Caddyfile (the production file, parametrised by its
// environment) with Caddy's internal CA, and agents that trust that CA
// through SSL_CERT_FILE, as `make cluster` does.

// caddyfile is the production Caddyfile, relative to this package.
const caddyfile = "../../deploy/Caddyfile"

// needCaddy fails (never skips: CI installs it) when caddy is missing.
func needCaddy(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("caddy")
	if err != nil {
		t.Fatal("caddy is not installed: apt-get install caddy (scripts/test-services.sh does)")
	}
	return p
}

// front is a caddy process serving deploy/Caddyfile. Restarts keep its
// ports and storage (so its CA), as a restarted production front does.
type front struct {
	t      testing.TB
	port   string // HTTPS
	url    string // https://localhost:port
	env    []string
	data   string // XDG_DATA_HOME: Caddy's storage, the CA included
	log    *syncBuffer
	client *http.Client // trusts the front's CA, never follows redirects

	mu  sync.Mutex
	cmd *exec.Cmd
	end chan struct{}
}

// freePort is a loopback port nobody listens on.
func freePort(t testing.TB) string {
	_, p, _ := net.SplitHostPort(freeAddr(t))
	return p
}

// newFront prepares a front on a free port (not started: the nodes need
// its URL first).
func newFront(t testing.TB) *front {
	t.Helper()
	needCaddy(t)
	dir := t.TempDir()
	f := &front{t: t, port: freePort(t), data: filepath.Join(dir, "data"), log: &syncBuffer{}}
	f.url = "https://localhost:" + f.port
	f.env = append(cleanEnv(), "HOME="+dir, "XDG_DATA_HOME="+f.data, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"BREEZE_DOMAIN=localhost:"+f.port, "BREEZE_TLS=internal", "BREEZE_CADDY_ADMIN=off",
		"BREEZE_HTTPS_PORT="+f.port, "BREEZE_HTTP_PORT="+freePort(t), "BREEZE_HEALTH_INTERVAL=1s")
	t.Cleanup(func() {
		f.stop()
		if t.Failed() {
			t.Logf("caddy log:\n%s", f.log.tail(40))
		}
	})
	return f
}

// rootCA is the path of the front's internal root certificate.
func (f *front) rootCA() string {
	return filepath.Join(f.data, "caddy", "pki", "authorities", "local", "root.crt")
}

// start runs caddy over the nodes and waits until a request through it
// reaches a ready node with a certificate chained to the front's CA.
func (f *front) start(nodes ...*server) {
	t := f.t
	t.Helper()
	var ups []string
	for _, n := range nodes {
		ups = append(ups, n.addr)
	}
	cmd := exec.Command("caddy", "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(append([]string{}, f.env...), "BREEZE_UPSTREAMS="+strings.Join(ups, " "))
	cmd.Stdout, cmd.Stderr = f.log, f.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start caddy: %v", err)
	}
	end := make(chan struct{})
	go func() { _ = cmd.Wait(); close(end) }()
	f.mu.Lock()
	f.cmd, f.end = cmd, end
	f.mu.Unlock()
	eventually(t, 30*time.Second, "caddy serving /readyz over TLS", func() (bool, string) {
		select {
		case <-end:
			t.Fatalf("caddy exited at start-up:\n%s", f.log.tail(30))
		default:
		}
		if f.client == nil {
			pem, err := os.ReadFile(f.rootCA())
			if err != nil {
				return false, err.Error()
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			f.client = &http.Client{Timeout: 10 * time.Second,
				Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		res, err := f.client.Get(f.url + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, res.Status
	})
}

// signal ends caddy with sig and waits for it.
func (f *front) signal(sig syscall.Signal) {
	f.mu.Lock()
	cmd, end := f.cmd, f.end
	f.cmd = nil
	f.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-end:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-end
	}
}

func (f *front) stop() { f.signal(syscall.SIGTERM) }

// agentEnv makes a Go agent trust the front's CA (and only it).
func (f *front) agentEnv() []string { return []string{"SSL_CERT_FILE=" + f.rootCA()} }

// wsDialer dials WebSockets through the front.
func (f *front) wsDialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	d.TLSClientConfig = f.client.Transport.(*http.Transport).TLSClientConfig
	return &d
}

// startNodes starts n nodes on one fresh PostgreSQL database and one Redis
// namespace, sharing both secrets, each with extra environment env.
func startNodes(t testing.TB, n int, env ...string) []*server {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey)
	env = append([]string{"BREEZE_JWT_SECRET=" + hex.EncodeToString(secret), "BREEZE_REDIS_PREFIX=" + redisPrefix(t.TempDir()),
		"BREEZE_PLUGIN_SECRET_KEY=" + base64.StdEncoding.EncodeToString(sealKey)}, env...)
	nodes := make([]*server, n)
	for i := range nodes {
		s := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), dbURL: dbURL, env: env, log: &syncBuffer{}}
		s.url = "http://" + s.addr
		name := fmt.Sprintf("node %d", i+1)
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("%s log:\n%s", name, s.log.tail(40))
			}
		})
		s.start()
		nodes[i] = s
	}
	return nodes
}

// enrollAgentThrough enrolls a real agent into siteID through url (the
// front) with env added to the agent's environment.
func enrollAgentThrough(t testing.TB, url string, api *client, siteID string, env []string) string {
	t.Helper()
	key := api.mintKey(siteID, 1)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent", "agent.json")
	cmd := agentCmd("enroll", "--server", url, "--key-file", writeFile(t, dir, "k", key), "--config", cfgPath)
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enroll through %s: %v\n%s", url, err, out)
	}
	return cfgPath
}

// startAgentEnv runs the agent of cfgPath with env added.
func startAgentEnv(t testing.TB, cfgPath string, env []string) *agentProc {
	t.Helper()
	return startAgentWith(t, "", cfgPath, env)
}

// links is how many times the node logged a link of the device.
func (s *server) links(deviceID string) int {
	n := 0
	for _, line := range strings.Split(s.log.String(), "\n") {
		if strings.Contains(line, "agent linked") && strings.Contains(line, deviceID) {
			n++
		}
	}
	return n
}
