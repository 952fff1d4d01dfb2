package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// TestAgentSelfUpdate updates real agents through staged rollouts, with
// builds of the real agent made with different version strings:
//   - site 1 (two agents): 1.0.0 → 1.1.0 in two stages (50 %, 100 %), the
//     server restarted between them; both relink on 1.1.0 through a re-exec
//     in place, keeping 1.0.0 as .prev; a
//     second rollout for the same site is refused while it runs; then a
//     rollout back to 1.0.0 is refused as a downgrade, and accepted with
//     allowDowngrade;
//   - site 2: a 1.1.1 that never links (built with buildFault=nolink): the
//     agent rolls back to 1.0.0 by itself after its trial, the server records
//     rolled_back and the rollout stops (threshold 0);
//   - site 3: the 1.1.2 build served tampered (the node's cached copy
//     altered on disk): the agent refuses it, 1.0.0 keeps running;
//   - an upload whose signature does not verify is refused.
func TestAgentSelfUpdate(t *testing.T) {
	dir := t.TempDir()
	builds := map[string]string{}
	for _, b := range []struct{ version, fault string }{{"1.0.0", ""}, {"1.1.0", ""}, {"1.1.1", "nolink"}, {"1.1.2", ""}} {
		builds[b.version] = buildAgentVersion(t, dir, b.version, b.fault)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), log: &syncBuffer{},
		env: []string{"BREEZE_RELEASE_KEYS=" + base64.StdEncoding.EncodeToString(pub)}}
	srv.url = "http://" + srv.addr
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", srv.log.tail(80))
		}
	})
	srv.start()
	api := login(t, srv)

	rel := map[string]releaseView{}
	for v, path := range builds {
		rel[v] = uploadRelease(t, api, priv, v, path, "")
	}
	// A signature of another build: refused.
	code, body := uploadRaw(t, api, "1.2.0", builds["1.1.0"], signFile(t, priv, "1.2.0", builds["1.1.2"]))
	if code != http.StatusBadRequest || !strings.Contains(string(body), "signature") {
		t.Fatalf("upload with a wrong signature: %d %s", code, body)
	}

	site1, site2, site3 := api.site("Upd One"), api.site("Upd Two"), api.site("Upd Three")
	a1 := startUpdatable(t, srv, api, site1, builds["1.0.0"])
	a2 := startUpdatable(t, srv, api, site1, builds["1.0.0"])
	bad := startUpdatable(t, srv, api, site2, builds["1.0.0"])
	tamp := startUpdatable(t, srv, api, site3, builds["1.0.0"])

	// The tampered copy: the node serves builds from its cache once filled.
	data, err := os.ReadFile(builds["1.1.2"])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	cache := filepath.Join(srv.dataDir, "cache", "agent-builds")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, rel["1.1.2"].ID+"-"+rel["1.1.2"].SHA256), data, 0o600); err != nil {
		t.Fatal(err)
	}

	r1 := createRollout(t, api, map[string]any{"scopeKind": "site", "scopeId": site1, "version": "1.1.0",
		"stages": []int{50, 100}, "pauseSeconds": 3, "failureThreshold": 0, "trialSeconds": 20}, http.StatusCreated)
	createRollout(t, api, map[string]any{"scopeKind": "site", "scopeId": site1, "version": "1.1.2"}, http.StatusConflict)
	r2 := createRollout(t, api, map[string]any{"scopeKind": "site", "scopeId": site2, "version": "1.1.1",
		"failureThreshold": 0, "trialSeconds": 3}, http.StatusCreated)
	r3 := createRollout(t, api, map[string]any{"scopeKind": "site", "scopeId": site3, "version": "1.1.2",
		"failureThreshold": 0}, http.StatusCreated)

	// The server restarts between the stages: the rollout goes on from the
	// database (the pause, then the second stage).
	eventually(t, 60*time.Second, "the first stage done", func() (bool, string) {
		var r struct {
			Stage       int        `json:"stage"`
			NextStageAt *time.Time `json:"nextStageAt"`
			State       string     `json:"state"`
		}
		api.must(http.MethodGet, "/api/v1/rollouts/"+r1, nil, http.StatusOK, &r)
		return r.NextStageAt != nil || r.Stage > 0 || r.State != "active", fmt.Sprintf("%+v", r)
	})
	srv.stop()
	srv.start()
	api = login(t, srv)
	waitRollout(t, api, r1, "completed", 60*time.Second)
	for _, a := range []updAgent{a1, a2} {
		if v := api.agentVersion(a.id); v != "1.1.0" {
			t.Fatalf("agent %s runs %q after the rollout, want 1.1.0", a.id, v)
		}
		if out, err := exec.Command(a.exe+".prev", "version").Output(); err != nil || !strings.Contains(string(out), " 1.0.0 ") {
			t.Fatalf("the previous build is not kept as .prev: %q %v", out, err)
		}
		if a.proc.exited() {
			t.Fatalf("agent %s exited instead of re-executing", a.id)
		}
	}
	var devs struct {
		Items []struct {
			DeviceID, State string
			Stage           int
		} `json:"items"`
	}
	api.must(http.MethodGet, "/api/v1/rollouts/"+r1+"/devices", nil, http.StatusOK, &devs)
	stages := map[int]int{}
	for _, d := range devs.Items {
		if d.State != "linked" {
			t.Fatalf("device %s of the completed rollout is %s", d.DeviceID, d.State)
		}
		stages[d.Stage]++
	}
	if stages[0] != 1 || stages[1] != 1 {
		t.Fatalf("devices per stage %v, want one in each of the two stages", stages)
	}

	// The build that never links: rolled back by the agent, recorded.
	rb := waitRollout(t, api, r2, "stopped", 60*time.Second)
	if !strings.Contains(rb.Reason, "threshold") {
		t.Fatalf("rollout 2 stopped for %q", rb.Reason)
	}
	st := api.deviceUpdate(bad.id)
	if st.State != "rolled_back" || !strings.Contains(st.Error, "did not link") {
		t.Fatalf("the unlinkable build's device: %+v", st)
	}
	eventually(t, 20*time.Second, "rolled back agent online on 1.0.0", func() (bool, string) {
		d, ok := api.listed(bad.id)
		return ok && d.Status == "online" && api.agentVersion(bad.id) == "1.0.0", fmt.Sprintf("%+v", d)
	})
	if out, err := exec.Command(bad.exe, "version").Output(); err != nil || !strings.Contains(string(out), " 1.0.0 ") {
		t.Fatalf("after the rollback the executable is %q (%v), want 1.0.0", out, err)
	}

	// The tampered build: refused, the old one runs on.
	waitRollout(t, api, r3, "stopped", 30*time.Second)
	st = api.deviceUpdate(tamp.id)
	if st.State != "failed" || !strings.Contains(st.Error, "sha256") {
		t.Fatalf("the tampered build's device: %+v", st)
	}
	if v := api.agentVersion(tamp.id); v != "1.0.0" || tamp.proc.exited() {
		t.Fatalf("after a tampered offer the agent runs %q (exited %v)", v, tamp.proc.exited())
	}
	if _, err := os.Stat(tamp.exe + ".new"); !os.IsNotExist(err) {
		t.Fatalf("the refused download was left next to the executable: %v", err)
	}

	// A downgrade needs allowDowngrade.
	code, body = api.do(http.MethodPost, "/api/v1/rollouts", map[string]any{"scopeKind": "site", "scopeId": site1, "version": "1.0.0"})
	if code != http.StatusBadRequest || !strings.Contains(string(body), "downgrade") {
		t.Fatalf("a downgrade without allowDowngrade: %d %s", code, body)
	}
	r4 := createRollout(t, api, map[string]any{"scopeKind": "site", "scopeId": site1, "version": "1.0.0", "allowDowngrade": true,
		"trialSeconds": 20}, http.StatusCreated)
	waitRollout(t, api, r4, "completed", 40*time.Second)
	for _, a := range []updAgent{a1, a2} {
		if v := api.agentVersion(a.id); v != "1.0.0" {
			t.Fatalf("agent %s runs %q after the allowed downgrade", a.id, v)
		}
	}
}

// buildAgentVersion builds the agent as it ships with version (and a
// test fault) into dir.
func buildAgentVersion(t *testing.T, dir, version, fault string) string {
	t.Helper()
	out := filepath.Join(dir, "breeze-agent-"+version)
	flags, err := exec.Command("bash", "../../scripts/agent-build.sh", "--flags").Output()
	if err != nil {
		t.Fatalf("agent build flags: %v", err)
	}
	ld := "-s -w -X main.Version=" + version
	if fault != "" {
		ld += " -X main.buildFault=" + fault
	}
	args := append([]string{"build"}, strings.Fields(string(flags))...)
	args = append(args, "-ldflags", ld, "-o", out, "github.com/breeze-rmm/breeze/cmd/breeze-agent")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build agent %s: %v\n%s", version, err, b)
	}
	return out
}

type releaseView struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
}

func signFile(t *testing.T, priv ed25519.PrivateKey, version, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	msg := protocol.ReleaseMessage(runtime.GOOS, runtime.GOARCH, version, hex.EncodeToString(sum[:]))
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
}

func uploadRaw(t *testing.T, api *client, version, path, sig string) (int, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"version": {version}, "os": {runtime.GOOS}, "arch": {runtime.GOARCH}, "signature": {sig}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api.base+"/api/v1/releases?"+q.Encode(), bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+api.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

func uploadRelease(t *testing.T, api *client, priv ed25519.PrivateKey, version, path, _ string) releaseView {
	t.Helper()
	code, body := uploadRaw(t, api, version, path, signFile(t, priv, version, path))
	if code != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", version, code, body)
	}
	var out releaseView
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type updAgent struct {
	id, exe string
	proc    *agentProc
}

// startUpdatable enrolls an agent of its own executable (copied from
// build) into site and runs it until its device is online.
func startUpdatable(t *testing.T, srv *server, api *client, siteID, build string) updAgent {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "bin", "breeze-agent")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "agent", "agent.json")
	key := api.mintKey(siteID, 1)
	enroll := exec.Command(exe, "enroll", "--server", srv.url, "--key-file", writeFile(t, dir, "k", key), "--config", cfgPath)
	enroll.Env = cleanEnv()
	if out, err := enroll.CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	cfg := readAgentConfig(t, cfgPath)
	a := &agentProc{cmd: exec.Command(exe, "run", "--config", cfgPath, "--log-level", "debug"), log: &syncBuffer{}, end: make(chan struct{})}
	a.cmd.Env = cleanEnv()
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
			t.Logf("agent %s log:\n%s", cfg.DeviceID, a.log.tail(40))
		}
	})
	eventually(t, 30*time.Second, "device online", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online", fmt.Sprintf("%+v", d)
	})
	return updAgent{id: cfg.DeviceID, exe: exe, proc: a}
}

func createRollout(t *testing.T, api *client, body map[string]any, want int) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	api.must(http.MethodPost, "/api/v1/rollouts", body, want, &out)
	return out.ID
}

type rolloutView struct {
	State  string         `json:"state"`
	Stage  int            `json:"stage"`
	Reason string         `json:"reason"`
	Counts map[string]int `json:"counts"`
}

func waitRollout(t *testing.T, api *client, id, state string, within time.Duration) rolloutView {
	t.Helper()
	var r rolloutView
	eventually(t, within, "rollout "+state, func() (bool, string) {
		api.must(http.MethodGet, "/api/v1/rollouts/"+id, nil, http.StatusOK, &r)
		return r.State == state, fmt.Sprintf("%+v", r)
	})
	return r
}

type deviceUpdateView struct {
	State string `json:"state"`
	Error string `json:"error"`
}

func (c *client) deviceUpdate(id string) deviceUpdateView {
	c.t.Helper()
	var u deviceUpdateView
	c.must(http.MethodGet, "/api/v1/devices/"+id+"/update", nil, http.StatusOK, &u)
	return u
}

func (c *client) agentVersion(id string) string {
	c.t.Helper()
	var d struct {
		AgentVersion string `json:"agentVersion"`
	}
	c.must(http.MethodGet, "/api/v1/devices/"+id, nil, http.StatusOK, &d)
	return d.AgentVersion
}
