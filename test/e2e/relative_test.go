package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestAgentRunsWithARelativeConfig is how `make run` starts its local
// agent: `--config ./data/agent/agent.json` from the repository root. The
// agent must enroll, link and stay up with a relative path.
func TestAgentRunsWithARelativeConfig(t *testing.T) {
	t.Parallel()
	srv := startServer(t, backends[0])
	api := login(t, srv)
	key := api.mintKey(api.site("Relative"), 1)
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "k", key)
	enroll := agentCmd("enroll", "--server", srv.url, "--key-file", keyFile, "--config", "./data/agent/agent.json")
	enroll.Dir = dir
	if out, err := enroll.CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	cfg := readAgentConfig(t, filepath.Join(dir, "data", "agent", "agent.json"))
	a := startAgentIn(t, dir, "./data/agent/agent.json")
	eventually(t, 30*time.Second, "device online", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online", fmt.Sprintf("%+v", d)
	})
	time.Sleep(time.Second)
	if a.exited() {
		t.Fatalf("the agent exited:\n%s", a.log.tail(10))
	}
}
