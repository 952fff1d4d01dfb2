package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk/pack"
)

// devPlugin is one plugin as the API shows it.
type devPlugin struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	LastError string `json:"lastError"`
	Unsigned  bool   `json:"unsigned"`
	Source    string `json:"source"`
	SHA256    string `json:"sha256"`
	Restarts  int    `json:"restarts"`
}

// TestPluginDevMode is plugin dev mode with the real binaries: a server
// started with BREEZE_PLUGIN_DEV_DIR loads the plugin directories there
// (built by `go build`, never packed nor signed), marks them unsigned and
// "dev" in the API, audits each load and runs the rebuilt binary within
// seconds; an unsigned upload is still refused. An agent outside dev mode
// refuses the unsigned agent-side plugin the server offers; an agent whose
// config allows it runs its own dev directory's plugin, reported unsigned
// and "dev" on the device page; without the config's switch the agent
// refuses to start with --plugin-dev-dir.
func TestPluginDevMode(t *testing.T) {
	t.Parallel()
	dev := t.TempDir()
	buildDevPlugin(t, dev, "webhook", "one")
	buildDevPlugin(t, dev, "failedunits", "one")

	srv := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), log: &syncBuffer{},
		env: []string{"BREEZE_PLUGIN_DEV_DIR=" + dev}}
	srv.url = "http://" + srv.addr
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", srv.log.tail(60))
		}
	})
	srv.start()
	if !strings.Contains(srv.log.String(), "PLUGIN DEV MODE") {
		t.Fatal("no dev mode warning in the server's log")
	}
	api := login(t, srv)
	get := func(id string) devPlugin {
		var p devPlugin
		api.must(http.MethodGet, "/api/v1/plugins/"+id, nil, http.StatusOK, &p)
		return p
	}
	var first devPlugin
	eventually(t, 30*time.Second, "dev plugins loaded, the webhook running", func() (bool, string) {
		var list struct {
			Items []devPlugin `json:"items"`
		}
		api.must(http.MethodGet, "/api/v1/plugins", nil, http.StatusOK, &list)
		n := 0
		for _, p := range list.Items {
			if p.Unsigned && p.Source == "dev" {
				n++
			}
		}
		if n < 2 {
			return false, fmt.Sprintf("%+v", list.Items)
		}
		first = get("breeze.webhook")
		return first.State == "running", fmt.Sprintf("%+v", list.Items)
	})
	devLoads := func() int {
		var out struct {
			Items []struct {
				Outcome   string `json:"outcome"`
				ActorType string `json:"actorType"`
			} `json:"items"`
		}
		api.must(http.MethodGet, "/api/v1/audit-logs?action=plugins.dev_load", nil, http.StatusOK, &out)
		n := 0
		for _, e := range out.Items {
			if e.Outcome == "success" && e.ActorType == "system" {
				n++
			}
		}
		return n
	}
	if n := devLoads(); n != 2 {
		t.Fatalf("%d dev loads audited, want 2", n)
	}

	// Rebuild: another build id is another binary; the server loads and
	// restarts it on its own.
	buildDevPlugin(t, dev, "webhook", "two")
	eventually(t, 30*time.Second, "the rebuilt webhook running", func() (bool, string) {
		p := get("breeze.webhook")
		return p.SHA256 != first.SHA256 && p.State == "running" && p.Unsigned && p.Source == "dev", fmt.Sprintf("%+v", p)
	})
	if n := devLoads(); n != 3 {
		t.Fatalf("%d dev loads audited after the rebuild, want 3", n)
	}

	// Dev mode is not BREEZE_PLUGINS_ALLOW_UNSIGNED: an unsigned upload
	// is refused as ever.
	var unsigned bytes.Buffer
	if _, err := pack.Pack(filepath.Join(dev, "failedunits"), nil, &unsigned); err != nil {
		t.Fatal(err)
	}
	if code, body := uploadPlugin(t, srv, api, unsigned.Bytes()); code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		t.Fatalf("unsigned upload in dev mode: %d %s", code, body)
	}

	// The agent-side plugin, offered to the org's agents.
	site := api.site("Dev")
	var siteView struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+site, nil, http.StatusOK, &siteView)
	api.must(http.MethodPut, "/api/v1/plugins/breeze.failedunits/orgs/"+siteView.OrgID,
		map[string]any{"enabled": true, "settings": map[string]any{}}, http.StatusOK, nil)

	// An agent outside dev mode (it trusts a key, no allowUnsignedPlugins)
	// refuses the unsigned plugin.
	pub, _, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := pack.EncodePublicKey(pub)
	strict := enrollAgent(t, srv, api, site)
	trustKey(t, strict, string(pubPEM))
	_, strictCfg := runAgentOnline(t, api, strict)
	eventually(t, 30*time.Second, "the strict agent refuses the unsigned plugin", func() (bool, string) {
		st := devicePlugins(t, api, strictCfg.DeviceID)
		p, ok := st["breeze.failedunits"]
		return ok && p.State == "failed" && strings.Contains(p.Error, "not signed") && !p.Unsigned, fmt.Sprintf("%+v", st)
	})

	// An agent with --plugin-dev-dir but without the config's switch does
	// not start.
	loose := enrollAgent(t, srv, api, site)
	agentDev := t.TempDir()
	buildDevPlugin(t, agentDev, "failedunits", "agent")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, agentBin, "run", "--config", loose, "--plugin-dev-dir", agentDev)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "allowUnsignedPlugins") {
		t.Fatalf("agent run --plugin-dev-dir without allowUnsignedPlugins: %v\n%s", err, out)
	}

	// With it, the agent runs its own build, marked on the device page.
	setAgentConfig(t, loose, "allowUnsignedPlugins", true)
	startAgentWith(t, "", loose, nil, "--plugin-dev-dir", agentDev)
	looseCfg := readAgentConfig(t, loose)
	eventually(t, 45*time.Second, "the dev agent runs its local plugin", func() (bool, string) {
		st := devicePlugins(t, api, looseCfg.DeviceID)
		p, ok := st["breeze.failedunits"]
		return ok && p.State == "running" && p.Unsigned && p.Source == "dev", fmt.Sprintf("%+v", st)
	})
	status := exec.Command(agentBin, "status", "--config", loose)
	status.Env = cleanEnv()
	sout, _ := status.CombinedOutput()
	if !strings.Contains(string(sout), "Plugin dev: ON") || !strings.Contains(string(sout), agentDev) {
		t.Fatalf("status does not show dev mode:\n%s", sout)
	}
}

// devicePluginState is one plugin of a device's report.
type devicePluginState struct {
	State    string `json:"state"`
	Error    string `json:"error"`
	Unsigned bool   `json:"unsigned"`
	Source   string `json:"source"`
}

func devicePlugins(t testing.TB, api *client, deviceID string) map[string]devicePluginState {
	var d struct {
		Plugins []struct {
			ID string `json:"id"`
			devicePluginState
		} `json:"plugins"`
	}
	api.must(http.MethodGet, "/api/v1/devices/"+deviceID, nil, http.StatusOK, &d)
	out := map[string]devicePluginState{}
	for _, p := range d.Plugins {
		out[p.ID] = p.devicePluginState
	}
	return out
}

// buildDevPlugin builds plugins/<name> for this platform into dir/<name>
// as an author's working directory holds it: plugin.json naming only this
// platform's executable, no hashes, no signature. buildID makes each build
// a different binary.
func buildDevPlugin(t testing.TB, dir, name, buildID string) {
	t.Helper()
	stage := filepath.Join(dir, name)
	var m map[string]any
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "plugins", name, "plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(src, &m); err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "-" + runtime.GOARCH
	exe := "bin/" + platform + "/" + name
	m["executables"] = map[string]any{platform: map[string]any{"path": exe}}
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, stage, "plugin.json", string(manifest))
	build := exec.Command("go", "build", "-ldflags=-buildid="+buildID, "-o", filepath.Join(stage, filepath.FromSlash(exe)),
		"github.com/breeze-rmm/breeze/plugins/"+name)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
}

// setAgentConfig sets one field of an agent's config file.
func setAgentConfig(t testing.TB, cfgPath, key string, value any) {
	t.Helper()
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = value
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(cfgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
