package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/internal/testsvc"
)

// The fault tests break the services a cluster depends on. They run on a
// PostgreSQL cluster and a Redis of their own (internal/testsvc), never the
// machine's shared ones, with two server nodes and a real agent that counts
// each execution in a file on the device.
//
// Outages last faultOutage: a few seconds in `make test`, 30 s in
// `make faults` (BREEZE_FAULT_OUTAGE=30s).

// faultOutage is how long a fault lasts.
func faultOutage(t testing.TB) time.Duration {
	if v := os.Getenv("BREEZE_FAULT_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("BREEZE_FAULT_OUTAGE=%q is not a duration", v)
		}
		return d
	}
	return 6 * time.Second
}

// faultCluster is two nodes on a private PostgreSQL cluster and Redis.
type faultCluster struct {
	pg    *testsvc.Postgres
	redis *testsvc.Redis
	dbURL string
	a, b  *server
}

// startFaultCluster starts the cluster; extra are more environment
// variables for both nodes.
func startFaultCluster(t *testing.T, extra ...string) *faultCluster {
	t.Helper()
	fc := &faultCluster{pg: testsvc.StartPostgres(t), redis: testsvc.StartRedis(t)}
	fc.dbURL = fc.pg.CreateDatabase("breeze")
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey)
	env := []string{"BREEZE_JWT_SECRET=" + hex.EncodeToString(secret),
		"BREEZE_REDIS_URL=" + fc.redis.URL(), "BREEZE_REDIS_PREFIX=faults:",
		"BREEZE_PLUGIN_SECRET_KEY=" + base64.StdEncoding.EncodeToString(sealKey)}
	env = append(env, extra...)
	nodes := make([]*server, 2)
	for i := range nodes {
		s := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), dbURL: fc.dbURL, env: env, log: &syncBuffer{}}
		s.url = "http://" + s.addr
		name := fmt.Sprintf("node %c", 'A'+i)
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("%s log:\n%s", name, s.log.tail(80))
			}
		})
		s.start()
		nodes[i] = s
	}
	fc.a, fc.b = nodes[0], nodes[1]
	return fc
}

// counted is a command whose script appends one line to its own file on the
// device each time it runs, so the test sees how often it ran.
type counted struct {
	id      string
	counter string
}

// createCounted creates a counted command (202) through c.
func createCounted(t testing.TB, c *client, deviceID, dir, name string, sleepSeconds int) counted {
	t.Helper()
	cc := counted{counter: filepath.Join(dir, name+".runs")}
	code, body := c.do(http.MethodPost, "/api/v1/devices/"+deviceID+"/commands", map[string]any{
		"action": "run_script", "timeoutSeconds": 120,
		"payload": map[string]any{"language": "sh",
			"body": fmt.Sprintf(`echo run >> "$COUNTER"; sleep %d; echo done-%s`, sleepSeconds, name),
			"env":  map[string]string{"COUNTER": cc.counter}},
	})
	if code != http.StatusAccepted {
		t.Fatalf("create command %s: %d %s", name, code, body)
	}
	var v commandView
	_ = json.Unmarshal(body, &v)
	cc.id = v.ID
	return cc
}

// runs is how many times the command ran on the device.
func (cc counted) runs() int {
	b, _ := os.ReadFile(cc.counter)
	return strings.Count(string(b), "run")
}

// mustSucceedOnce waits until the command is final and checks the true
// outcome: it succeeded, its output is stored, and it ran exactly once.
func (cc counted) mustSucceedOnce(t testing.TB, c *client, within time.Duration) {
	t.Helper()
	v := waitCommand(t, c, cc.id, within)
	if v.Status != "succeeded" || !strings.Contains(v.Stdout, "done-") {
		t.Fatalf("command %s ended %q (stdout %q, error %q), want succeeded with its output stored (ran %d times)",
			cc.id, v.Status, v.Stdout, v.Error, cc.runs())
	}
	if n := cc.runs(); n != 1 {
		t.Fatalf("command %s ran %d times on the device, want once", cc.id, n)
	}
}

// signInSoon checks that the admin can sign in within a few seconds of the
// recovery (no lock-out, no stale pool).
func signInSoon(t testing.TB, s *server) *client {
	t.Helper()
	var c *client
	eventually(t, 15*time.Second, "sign-in after recovery", func() (bool, string) {
		code, body := (&client{t: t, base: s.url}).do(http.MethodPost, "/api/v1/auth/login",
			map[string]string{"email": adminEmail, "password": adminPassword})
		if code != http.StatusOK {
			return false, fmt.Sprintf("%d %s", code, body)
		}
		var out struct {
			AccessToken string `json:"accessToken"`
		}
		_ = json.Unmarshal(body, &out)
		c = &client{t: t, base: s.url, token: out.AccessToken}
		return true, ""
	})
	return c
}

// auditIntact runs `breeze audit verify` on the cluster's database.
func (fc *faultCluster) auditIntact(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, serverBin, "audit", "verify")
	cmd.Env = append(cleanEnv(), "BREEZE_DATABASE_URL="+fc.dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

// answer is one HTTP answer's status, Retry-After and body.
type answer struct {
	status int
	retry  string
	body   string
}

func (a answer) String() string {
	return fmt.Sprintf("%d Retry-After=%q %s", a.status, a.retry, a.body)
}

// call sends one request with an optional bearer token (no test failure on
// a network error: status 0).
func call(method, url, token string, body any) answer {
	var r *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	} else {
		r = strings.NewReader("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{body: err.Error()}
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	n, _ := res.Body.Read(buf)
	sb.Write(buf[:n])
	return answer{status: res.StatusCode, retry: res.Header.Get("Retry-After"), body: sb.String()}
}
