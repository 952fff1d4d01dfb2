package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

// An agent that knows several URLs of one deployment: two nodes on one
// PostgreSQL and Redis, node A tells agents about node B
// (BREEZE_AGENT_URLS); the agent enrolled through A only keeps B from the
// welcome, and when A is killed it links through B by itself and runs a
// command created there, once.
func TestAgentFailsOverToAnotherServerURL(t *testing.T) {
	secret, seal := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(secret)
	_, _ = rand.Read(seal)
	dbURL := pgtest.NewDatabase(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	env := []string{"BREEZE_JWT_SECRET=" + hex.EncodeToString(secret),
		"BREEZE_PLUGIN_SECRET_KEY=" + base64.StdEncoding.EncodeToString(seal),
		"BREEZE_REDIS_URL=" + testRedisURL(), "BREEZE_REDIS_PREFIX=" + redisPrefix(t.TempDir()),
		"BREEZE_AGENT_URLS=http://" + addrB}
	nodes := map[string]*server{}
	for name, addr := range map[string]string{"A": addrA, "B": addrB} {
		s := &server{t: t, addr: addr, url: "http://" + addr, dataDir: t.TempDir(), dbURL: dbURL, env: env, log: &syncBuffer{}}
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("node %s log:\n%s", name, s.log.tail(60))
			}
		})
		s.start()
		nodes[name] = s
	}
	a, b := nodes["A"], nodes["B"]
	api := login(t, a)
	cfgPath := enrollAgent(t, a, api, api.site("Failover"))
	agent, cfg := runAgentOnline(t, api, cfgPath)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", agent.log.tail(40))
		}
	})

	// The welcome's URLs reach the agent's config.
	eventually(t, 20*time.Second, "pushed server URLs kept", func() (bool, string) {
		raw, _ := os.ReadFile(cfgPath)
		var c struct {
			ServerURL string   `json:"serverUrl"`
			Pushed    []string `json:"pushedServerUrls"`
		}
		_ = json.Unmarshal(raw, &c)
		return c.ServerURL == a.url && slices.Equal(c.Pushed, []string{b.url}), string(raw)
	})

	a.kill()
	apiB := login(t, b)
	dir := t.TempDir()
	cc := createCounted(t, apiB, cfg.DeviceID, dir, "after-failover", 0)
	cc.mustSucceedOnce(t, apiB, 60*time.Second)
	eventually(t, 30*time.Second, "device online through B", func() (bool, string) {
		d, ok := apiB.listed(cfg.DeviceID)
		return ok && d.Status == "online", fmt.Sprintf("%+v", d)
	})
	if agent.log.count("trying the next one") == 0 {
		t.Errorf("the agent did not say it moved to the next URL:\n%s", agent.log.tail(30))
	}
}
