package e2e

import (
	"net/http"
	"testing"
	"time"
)

// PostgreSQL stops: every database-backed call answers 503 with
// Retry-After (never 500), sign-in attempts made meanwhile do not lock the
// account out, and after the restart sign-in works at once, accepted
// commands end in their true state (one that finished during the outage
// too: its result is resent until stored), each ran once, and the audit
// chain is intact.
func TestFaultPostgresDown(t *testing.T) {
	fc := startFaultCluster(t)
	outage := faultOutage(t)
	api := login(t, fc.a)
	_, cfg := runAgentOnline(t, api, enrollAgent(t, fc.a, api, api.site("Faults PG")))
	dir := t.TempDir()
	before := createCounted(t, api, cfg.DeviceID, dir, "before", 0)
	before.mustSucceedOnce(t, api, 60*time.Second)
	// Running when PostgreSQL stops, finished during the outage: its result
	// is refused then, kept by the agent and sent again until stored.
	spanning := createCounted(t, api, cfg.DeviceID, dir, "spanning", 3)
	eventually(t, 20*time.Second, "command running", func() (bool, string) {
		c := getCommand(t, api, spanning.id)
		return c.Status == "running", c.Status
	})

	fc.pg.Stop()
	down := time.Now()
	login := map[string]string{"email": adminEmail, "password": adminPassword}
	checks := []struct {
		what, method, path, token string
		body                      any
	}{
		{"sign-in", http.MethodPost, "/api/v1/auth/login", "", login},
		{"device list", http.MethodGet, "/api/v1/devices", api.token, nil},
		{"command create", http.MethodPost, "/api/v1/devices/" + cfg.DeviceID + "/commands", api.token,
			map[string]any{"action": "run_script", "payload": map[string]any{"language": "sh", "body": "true"}}},
		{"agent link", http.MethodGet, "/api/v1/agents/" + cfg.DeviceID + "/ws", cfg.AgentToken, nil},
	}
	for _, node := range []*server{fc.a, fc.b} {
		for _, c := range checks {
			a := call(c.method, node.url+c.path, c.token, c.body)
			if a.status != http.StatusServiceUnavailable || a.retry == "" {
				t.Errorf("%s on %s during the outage: %v, want 503 with Retry-After", c.what, node.addr, a)
			}
		}
		if got := status(node.url + "/readyz"); got != http.StatusServiceUnavailable {
			t.Errorf("/readyz on %s during the outage: %d, want 503", node.addr, got)
		}
	}
	// More attempts than the account lock-out allows (10).
	for i := 0; i < 12; i++ {
		call(http.MethodPost, fc.a.url+"/api/v1/auth/login", "", login)
	}
	time.Sleep(time.Until(down.Add(outage)))
	fc.pg.Start()

	api = signInSoon(t, fc.a)
	signInSoon(t, fc.b)
	after := createCounted(t, api, cfg.DeviceID, dir, "after", 0)
	after.mustSucceedOnce(t, api, 90*time.Second)
	spanning.mustSucceedOnce(t, api, 60*time.Second)
	if before.runs() != 1 {
		t.Fatalf("the command before the outage ran %d times", before.runs())
	}
	fc.auditIntact(t)
}

// Redis stops and comes back empty (no presence, no queue, no limits):
// readiness says so meanwhile, sign-in stays open, a command accepted
// meanwhile says queued, and afterwards it and a new command through the
// other node reach the agent at once, run once and are stored; the audit
// chain is intact.
func TestFaultRedisDownAndBackEmpty(t *testing.T) {
	fc := startFaultCluster(t)
	outage := faultOutage(t)
	apiA := login(t, fc.a)
	_, cfg := runAgentOnline(t, apiA, enrollAgent(t, fc.a, apiA, apiA.site("Faults Redis")))
	apiB := login(t, fc.b)
	dir := t.TempDir()
	createCounted(t, apiB, cfg.DeviceID, dir, "before", 0).mustSucceedOnce(t, apiB, 60*time.Second)

	fc.redis.Stop()
	down := time.Now()
	for _, node := range []*server{fc.a, fc.b} {
		if got := status(node.url + "/readyz"); got != http.StatusServiceUnavailable {
			t.Errorf("/readyz on %s with Redis down: %d, want 503", node.addr, got)
		}
	}
	signInSoon(t, fc.b) // the limiter fails open: sign-in needs only the database
	// Accepted while no node can tell where the device is linked: the API
	// says queued (not sent), and it runs once Redis is back.
	during := createCounted(t, apiB, cfg.DeviceID, dir, "during", 0)
	if c := getCommand(t, apiB, during.id); c.Status != "queued" {
		t.Fatalf("a command accepted with Redis down is %q, want queued", c.Status)
	}
	time.Sleep(time.Until(down.Add(outage)))
	fc.redis.Start()

	for _, node := range []*server{fc.a, fc.b} {
		eventually(t, 15*time.Second, "ready after Redis returned", func() (bool, string) {
			got := status(node.url + "/readyz")
			return got == http.StatusOK, http.StatusText(got)
		})
	}
	apiB = signInSoon(t, fc.b)
	// A command right after the return reaches the agent linked to the
	// other node at once: presence is re-published from the links.
	createCounted(t, apiB, cfg.DeviceID, dir, "after", 0).mustSucceedOnce(t, apiB, 20*time.Second)
	during.mustSucceedOnce(t, apiB, 20*time.Second)
	fc.auditIntact(t)
}

// The node holding the agent's link is SIGKILLed while a command runs and
// comes back after the outage: the command, and one accepted by the other
// node meanwhile, end succeeded with their output, each ran once, sign-in
// works on the restarted node, and the audit chain is intact.
func TestFaultNodeKilledWithCommandRunning(t *testing.T) {
	fc := startFaultCluster(t)
	outage := faultOutage(t)
	apiA := login(t, fc.a)
	_, cfg := runAgentOnline(t, apiA, enrollAgent(t, fc.a, apiA, apiA.site("Faults kill")))
	apiB := login(t, fc.b)
	dir := t.TempDir()
	running := createCounted(t, apiB, cfg.DeviceID, dir, "running", 3)
	eventually(t, 20*time.Second, "command running", func() (bool, string) {
		c := getCommand(t, apiB, running.id)
		return c.Status == "running", c.Status
	})
	fc.a.kill()
	// Accepted by the surviving node while the agent's node is dead.
	during := createCounted(t, apiB, cfg.DeviceID, dir, "during", 0)
	time.Sleep(outage)
	fc.a.start()

	signInSoon(t, fc.a)
	running.mustSucceedOnce(t, apiB, 120*time.Second)
	during.mustSucceedOnce(t, apiB, 60*time.Second)
	createCounted(t, apiB, cfg.DeviceID, dir, "after", 0).mustSucceedOnce(t, apiB, 90*time.Second)
	fc.auditIntact(t)
}
