package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// TestAgentLifecycle runs the real agent against the real server: enroll,
// link, heartbeats stored, server killed with SIGKILL and restarted, agent
// back, decommission closes the link and the token is refused after.
func TestAgentLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testAgentLifecycle(t, b)
		})
	}
}

// agentConfig is the part of the agent's config file the test reads.
type agentConfig struct {
	ServerURL  string `json:"serverUrl"`
	DeviceID   string `json:"deviceId"`
	AgentToken string `json:"agentToken"`
}

func testAgentLifecycle(t *testing.T, b backend) {
	srv := startServer(t, b)
	api := login(t, srv)
	key := api.mintKey(api.site("Lifecycle "+b.name), 1)

	// Enroll with the real binary; the key comes from a file and the token
	// is written to the config only.
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "enroll.key", key+"\n")
	cfgPath := filepath.Join(dir, "agent", "agent.json")
	out, err := agentCmd("enroll", "--server", srv.url, "--key-file", keyFile, "--config", cfgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("breeze-agent enroll: %v\n%s", err, out)
	}
	cfg := readAgentConfig(t, cfgPath)
	if !strings.HasPrefix(cfg.AgentToken, protocol.AgentTokenPrefix) || cfg.DeviceID == "" || cfg.ServerURL != srv.url {
		t.Fatalf("config after enroll: device %q server %q token prefix ok %v", cfg.DeviceID, cfg.ServerURL,
			strings.HasPrefix(cfg.AgentToken, protocol.AgentTokenPrefix))
	}
	if strings.Contains(string(out), cfg.AgentToken) {
		t.Fatal("enroll printed the agent token")
	}
	if st, err := os.Stat(cfgPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode: %v %v", st.Mode(), err)
	}
	// The key allowed one use: a second enrollment is refused.
	if out, err := agentCmd("enroll", "--server", srv.url, "--key-file", keyFile, "--config", filepath.Join(dir, "other.json")).CombinedOutput(); err == nil {
		t.Fatalf("a second enrollment with a one-use key succeeded:\n%s", out)
	}
	if d, ok := api.listed(cfg.DeviceID); !ok || d.Status != "pending" {
		t.Fatalf("after enrollment the device is %+v (listed %v), want pending", d, ok)
	}

	agent := startAgent(t, cfgPath)

	// Linked: online, with a heartbeat stored (the agent sends one right
	// after welcome) and its inventory.
	start := time.Now().Add(-time.Minute)
	eventually(t, 30*time.Second, "device online", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online", fmt.Sprintf("%+v", d)
	})
	eventually(t, 20*time.Second, "heartbeat stored", func() (bool, string) {
		n := api.metricSamples(cfg.DeviceID, start)
		return n > 0, fmt.Sprintf("%d samples", n)
	})
	eventually(t, 20*time.Second, "inventory stored", func() (bool, string) {
		code, body := api.do(http.MethodGet, "/api/v1/devices/"+cfg.DeviceID+"/inventory", nil)
		return code == http.StatusOK && strings.Contains(string(body), `"kernelVersion"`), fmt.Sprintf("%d %.200s", code, body)
	})
	if strings.Contains(agent.log.String(), cfg.AgentToken) {
		t.Fatal("the agent logged its token")
	}
	t.Logf("device %s online with heartbeats and inventory", cfg.DeviceID)

	// SIGKILL the server: no goodbye to the agent, nothing flushed. Restart
	// it on the same address and database; the agent must come back and
	// send fresh heartbeats.
	links := agent.log.count("linked to server")
	srv.kill()
	killedAt := time.Now()
	srv.start()
	api = login(t, srv)
	t.Logf("server killed with SIGKILL and restarted in %s", time.Since(killedAt).Round(time.Millisecond))
	eventually(t, 45*time.Second, "agent relinked after the restart", func() (bool, string) {
		return agent.log.count("linked to server") > links, agent.log.tail(3)
	})
	eventually(t, 20*time.Second, "online with heartbeats after the restart", func() (bool, string) {
		d := api.device(cfg.DeviceID)
		n := api.metricSamples(cfg.DeviceID, killedAt)
		return d.Status == "online" && d.LastSeenAt != nil && d.LastSeenAt.After(killedAt) && n > 0,
			fmt.Sprintf("%+v, %d samples since the kill", d, n)
	})

	t.Logf("agent back %s after the kill", time.Since(killedAt).Round(time.Millisecond))

	// Decommission: the live link closes at once, the token is refused from
	// then on, and the device stays decommissioned.
	var dec device
	api.must(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/decommission", nil, http.StatusOK, &dec)
	if dec.Status != "decommissioned" {
		t.Fatalf("decommission answered status %q", dec.Status)
	}
	eventually(t, 10*time.Second, "link closed by decommission", func() (bool, string) {
		return agent.log.count("code=decommissioned") > 0, agent.log.tail(3)
	})
	eventually(t, 30*time.Second, "agent told its token is rejected", func() (bool, string) {
		return agent.log.count("rejected this agent's token") > 0, agent.log.tail(3)
	})
	if agent.exited() {
		t.Fatalf("the agent exited after decommission; it must keep running and retry rarely:\n%s", agent.log.tail(10))
	}
	h := http.Header{"Authorization": {"Bearer " + cfg.AgentToken}}
	_, res, err := websocket.DefaultDialer.Dial(wsURL(srv, cfg.DeviceID), h)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the decommissioned token dialled: err %v, response %v", err, statusOf(res))
	}
	time.Sleep(500 * time.Millisecond)
	if d := api.device(cfg.DeviceID); d.Status != "decommissioned" {
		t.Fatalf("device status after decommission is %q", d.Status)
	}
	if status(srv.url+"/readyz") != http.StatusOK {
		t.Fatal("server not ready at the end")
	}
}

// agentProc is a running `breeze-agent run`.
type agentProc struct {
	cmd *exec.Cmd
	log *syncBuffer
	end chan struct{}
}

func agentCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(agentBin, args...)
	cmd.Env = cleanEnv()
	return cmd
}

func startAgent(t testing.TB, cfgPath string) *agentProc {
	t.Helper()
	return startAgentIn(t, "", cfgPath)
}

// startAgentIn runs the agent in working directory dir ("" = the test's).
func startAgentIn(t testing.TB, dir, cfgPath string) *agentProc {
	t.Helper()
	return startAgentWith(t, dir, cfgPath, nil)
}

// startAgentWith runs the agent of cfgPath in dir ("" = the test's) with
// env and the run flags args added; the cleanup stops it (SIGTERM, then SIGKILL after 10 s) and
// shows its log when the test failed.
func startAgentWith(t testing.TB, dir, cfgPath string, env []string, args ...string) *agentProc {
	t.Helper()
	a := &agentProc{cmd: agentCmd(append([]string{"run", "--config", cfgPath, "--log-level", "debug"}, args...)...), log: &syncBuffer{}, end: make(chan struct{})}
	a.cmd.Dir = dir
	a.cmd.Env = append(a.cmd.Env, env...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	go func() { _ = a.cmd.Wait(); close(a.end) }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.end:
		case <-time.After(10 * time.Second):
			_ = a.cmd.Process.Kill()
			<-a.end
		}
		if t.Failed() {
			t.Logf("agent %s log:\n%s", cfgPath, a.log.tail(40))
		}
	})
	return a
}

func (a *agentProc) exited() bool {
	select {
	case <-a.end:
		return true
	default:
		return false
	}
}

func readAgentConfig(t testing.TB, path string) agentConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read agent config: %v", err)
	}
	var c agentConfig
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("decode agent config: %v", err)
	}
	return c
}

func wsURL(s *server, deviceID string) string {
	return "ws://" + s.addr + fmt.Sprintf(protocol.LinkPath, deviceID)
}

func statusOf(res *http.Response) string {
	if res == nil {
		return "none"
	}
	return res.Status
}
