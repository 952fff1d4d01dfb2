package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// enrollAgent enrolls a real agent into siteID through srv with a one-use
// key and returns the path of its config file (edit it before the agent
// runs, e.g. trustKey).
func enrollAgent(t testing.TB, srv *server, api *client, siteID string) string {
	t.Helper()
	key := api.mintKey(siteID, 1)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent", "agent.json")
	if out, err := agentCmd("enroll", "--server", srv.url, "--key-file", writeFile(t, dir, "k", key), "--config", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	return cfgPath
}

// runAgentOnline starts the agent of cfgPath and waits until api sees its
// device online.
func runAgentOnline(t testing.TB, api *client, cfgPath string) (*agentProc, agentConfig) {
	t.Helper()
	cfg := readAgentConfig(t, cfgPath)
	a := startAgent(t, cfgPath)
	eventually(t, 30*time.Second, "device online", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online", fmt.Sprintf("%+v", d)
	})
	return a, cfg
}
