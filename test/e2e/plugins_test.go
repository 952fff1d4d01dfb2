package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk/pack"
)

// TestPluginsLoadedByTheRealHosts installs first-party plugins, packed and
// signed like a vendor would, into a real server: the webhook alert
// channel runs under the server's host and signs a test notification to a
// receiver; the Lua runtime is offered to a real agent, which downloads it
// over its link, verifies it against its own trusted key and runs a Lua
// script through it. A tampered archive is refused and audited.
func TestPluginsLoadedByTheRealHosts(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := pack.EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPath := writeFile(t, work, "vendor.pub", string(pubPEM))
	webhook := packPlugin(t, work, "webhook", priv)
	luarun := packPlugin(t, work, "luarun", priv)
	failedunits := packPlugin(t, work, "failedunits", priv)
	tcpscan := packPlugin(t, work, "tcpscan", priv)

	srv := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), log: &syncBuffer{},
		env: []string{"BREEZE_PLUGIN_TRUSTED_KEYS=" + pubPath}}
	srv.url = "http://" + srv.addr
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", srv.log.tail(60))
		}
	})
	srv.start()
	api := login(t, srv)

	// A tampered archive (one byte flipped) is refused and audited.
	raw, _ := os.ReadFile(webhook)
	bad := append([]byte(nil), raw...)
	bad[len(bad)/2] ^= 0xff
	if code, body := uploadPlugin(t, srv, api, bad); code < 400 || code >= 500 {
		t.Fatalf("a tampered archive answered %d %s", code, body)
	}
	var audit struct {
		Items []struct {
			Action  string `json:"action"`
			Outcome string `json:"outcome"`
		} `json:"items"`
	}
	api.must(http.MethodGet, "/api/v1/audit-logs?action=plugins.install", nil, http.StatusOK, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Outcome == "success" {
		t.Fatalf("the refused install was not audited as refused: %+v", audit.Items)
	}

	// The webhook alert channel, run by the server's host.
	for _, archive := range []string{webhook, luarun, failedunits, tcpscan} {
		data, _ := os.ReadFile(archive)
		if code, body := uploadPlugin(t, srv, api, data); code != http.StatusCreated {
			t.Fatalf("install %s: %d %s", filepath.Base(archive), code, body)
		}
	}
	site := api.site("Plugins")
	var siteView struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+site, nil, http.StatusOK, &siteView)
	org := siteView.OrgID

	var mu sync.Mutex
	var received []*http.Request
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received, bodies = append(received, r), append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	const secret = "e2e-signing-secret"
	for _, id := range []string{"breeze.webhook", "breeze.luarun", "breeze.failedunits", "breeze.tcpscan"} {
		api.must(http.MethodPost, "/api/v1/plugins/"+id+"/enable", nil, http.StatusOK, nil)
	}
	api.must(http.MethodPut, "/api/v1/plugins/breeze.webhook/orgs/"+org,
		map[string]any{"enabled": true, "settings": map[string]any{"url": receiver.URL, "secret": secret}}, http.StatusOK, nil)
	for _, id := range []string{"breeze.luarun", "breeze.failedunits", "breeze.tcpscan"} {
		api.must(http.MethodPut, "/api/v1/plugins/"+id+"/orgs/"+org,
			map[string]any{"enabled": true, "settings": map[string]any{}}, http.StatusOK, nil)
	}
	eventually(t, 20*time.Second, "webhook plugin running", func() (bool, string) {
		var p struct{ State, LastError string }
		api.must(http.MethodGet, "/api/v1/plugins/breeze.webhook", nil, http.StatusOK, &p)
		return p.State == "running", p.State + " " + p.LastError
	})
	var tested struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	api.must(http.MethodPost, "/api/v1/plugins/breeze.webhook/test", map[string]any{"orgId": org}, http.StatusOK, &tested)
	if !tested.OK {
		t.Fatalf("webhook test: %+v", tested)
	}
	mu.Lock()
	if len(received) == 0 {
		mu.Unlock()
		t.Fatal("the receiver got nothing")
	}
	r, b := received[0], bodies[0]
	mu.Unlock()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(r.Header.Get("X-Breeze-Timestamp") + "." + string(b)))
	if want := hex.EncodeToString(mac.Sum(nil)); !strings.Contains(r.Header.Get("X-Breeze-Signature"), want) {
		t.Fatalf("signature %q does not match the body (want %s)", r.Header.Get("X-Breeze-Signature"), want)
	}

	// The Lua runtime, offered to a real agent trusting the vendor key.
	cfgPath := enrollAgent(t, srv, api, site)
	trustKey(t, cfgPath, string(pubPEM))
	agent, cfg := runAgentOnline(t, api, cfgPath)
	var last commandView
	eventually(t, 60*time.Second, "a Lua script runs through the plugin", func() (bool, string) {
		code, body := api.do(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/commands", map[string]any{
			"action": "run_script", "payload": map[string]any{"language": "lua", "body": "print(6*7)"}})
		if code != http.StatusAccepted {
			return false, fmt.Sprintf("create: %d %s", code, body)
		}
		var c commandView
		_ = json.Unmarshal(body, &c)
		last = waitCommand(t, api, c.ID, 20*time.Second)
		return last.Status == "succeeded" && strings.TrimSpace(last.Stdout) == "42", fmt.Sprintf("%+v", last)
	})
	// The agent's plugin report reaches the device page.
	eventually(t, 30*time.Second, "plugin states on the device", func() (bool, string) {
		var d struct {
			Plugins []struct{ ID, Version, State, Error string } `json:"plugins"`
		}
		api.must(http.MethodGet, "/api/v1/devices/"+cfg.DeviceID, nil, http.StatusOK, &d)
		running := 0
		for _, p := range d.Plugins {
			if p.State == "running" {
				running++
			}
		}
		return running == 3, fmt.Sprintf("%+v", d.Plugins)
	})
	// The collector's facts join the inventory.
	eventually(t, 30*time.Second, "failedunits facts in the inventory", func() (bool, string) {
		var inv struct {
			Facts []struct{ Plugin, Key, Value string } `json:"facts"`
		}
		api.must(http.MethodGet, "/api/v1/devices/"+cfg.DeviceID+"/inventory", nil, http.StatusOK, &inv)
		for _, f := range inv.Facts {
			if f.Plugin == "breeze.failedunits" && f.Key == "systemd.available" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", inv.Facts)
	})
	// The scanner answers discover: it finds the port this test listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	found := runCommand(t, api, cfg.DeviceID, map[string]any{"action": "discover",
		"payload": map[string]any{"plugin": "breeze.tcpscan", "targets": []string{"127.0.0.1"}, "ports": []int{port}}})
	var withData struct {
		Data []struct {
			IP        string `json:"ip"`
			OpenPorts []int  `json:"openPorts"`
		} `json:"data"`
	}
	api.must(http.MethodGet, "/api/v1/commands/"+found.ID, nil, http.StatusOK, &withData)
	if found.Status != "succeeded" || len(withData.Data) == 0 || !slices.Contains(withData.Data[0].OpenPorts, port) {
		t.Fatalf("discover: %+v %+v", found, withData.Data)
	}
	if strings.Contains(agent.log.String(), secret) {
		t.Fatal("the agent logged a plugin secret")
	}
}

// packPlugin builds plugins/<name> for this platform into a staging
// directory with its manifest (only this platform's executable) and packs
// it, signed with key.
func packPlugin(t testing.TB, work, name string, key []byte) string {
	t.Helper()
	stage := filepath.Join(work, name)
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
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
	m["executables"] = map[string]any{platform: map[string]any{"path": exe, "sha256": ""}}
	manifest, _ := json.MarshalIndent(m, "", "  ")
	writeFile(t, stage, "plugin.json", string(manifest))
	build := exec.Command("go", "build", "-o", filepath.Join(stage, filepath.FromSlash(exe)), "github.com/breeze-rmm/breeze/plugins/"+name)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	out := filepath.Join(work, name+".tar.gz")
	if _, err := pack.PackFile(stage, key, out); err != nil {
		t.Fatalf("pack %s: %v", name, err)
	}
	return out
}

// repoRoot is the module root (two levels above this package).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// uploadPlugin POSTs an archive as the raw body.
func uploadPlugin(t testing.TB, s *server, c *client, archive []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/plugins", bytes.NewReader(archive))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/gzip")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// trustKey adds a trusted plugin key to an agent's config file.
func trustKey(t testing.TB, cfgPath, pem string) {
	t.Helper()
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["pluginTrustedKeys"] = []string{pem}
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(cfgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPluginsAcrossNodes installs and configures plugins through node A of
// a two-node cluster and uses them through node B, which never saw the
// upload: B fetches the archive from the database, verifies it again and
// runs the alert channel; an agent linked to B downloads the Lua runtime
// from B.
func TestPluginsAcrossNodes(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := pack.EncodePublicKey(pub)
	pubPath := writeFile(t, work, "vendor.pub", string(pubPEM))
	a, b := startCluster(t, "BREEZE_PLUGIN_TRUSTED_KEYS="+pubPath)
	apiA, apiB := login(t, a), login(t, b)
	for _, name := range []string{"webhook", "luarun"} {
		data, _ := os.ReadFile(packPlugin(t, work, name, priv))
		if code, body := uploadPlugin(t, a, apiA, data); code != http.StatusCreated {
			t.Fatalf("install %s on node A: %d %s", name, code, body)
		}
	}
	site := apiA.site("Cluster plugins")
	var siteView struct {
		OrgID string `json:"orgId"`
	}
	apiA.must(http.MethodGet, "/api/v1/sites/"+site, nil, http.StatusOK, &siteView)
	received := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- body
	}))
	t.Cleanup(receiver.Close)
	for _, id := range []string{"breeze.webhook", "breeze.luarun"} {
		apiA.must(http.MethodPost, "/api/v1/plugins/"+id+"/enable", nil, http.StatusOK, nil)
	}
	apiA.must(http.MethodPut, "/api/v1/plugins/breeze.webhook/orgs/"+siteView.OrgID,
		map[string]any{"enabled": true, "settings": map[string]any{"url": receiver.URL, "secret": "s"}}, http.StatusOK, nil)
	apiA.must(http.MethodPut, "/api/v1/plugins/breeze.luarun/orgs/"+siteView.OrgID,
		map[string]any{"enabled": true, "settings": map[string]any{}}, http.StatusOK, nil)

	// Node B runs the alert channel it never received.
	eventually(t, 30*time.Second, "webhook running on node B", func() (bool, string) {
		var p struct{ State, LastError string }
		apiB.must(http.MethodGet, "/api/v1/plugins/breeze.webhook", nil, http.StatusOK, &p)
		return p.State == "running", p.State + " " + p.LastError
	})
	var tested struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	apiB.must(http.MethodPost, "/api/v1/plugins/breeze.webhook/test", map[string]any{"orgId": siteView.OrgID}, http.StatusOK, &tested)
	if !tested.OK {
		t.Fatalf("webhook test through node B: %+v", tested)
	}
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing from node B's webhook")
	}

	// An agent linked to node B gets the Lua runtime from node B.
	cfgPath := enrollAgent(t, b, apiA, site)
	trustKey(t, cfgPath, string(pubPEM))
	_, cfg := runAgentOnline(t, apiA, cfgPath)
	eventually(t, 60*time.Second, "Lua through the plugin, via node B", func() (bool, string) {
		code, body := apiA.do(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/commands", map[string]any{
			"action": "run_script", "payload": map[string]any{"language": "lua", "body": "print(6*7)"}})
		if code != http.StatusAccepted {
			return false, fmt.Sprintf("create: %d %s", code, body)
		}
		var c commandView
		_ = json.Unmarshal(body, &c)
		last := waitCommand(t, apiA, c.ID, 20*time.Second)
		return last.Status == "succeeded" && strings.TrimSpace(last.Stdout) == "42", fmt.Sprintf("%+v", last)
	})

	// Disabling on node A stops it on node B too.
	apiA.must(http.MethodPost, "/api/v1/plugins/breeze.webhook/disable", nil, http.StatusOK, nil)
	eventually(t, 30*time.Second, "webhook stopped on node B", func() (bool, string) {
		var p struct{ State string }
		apiB.must(http.MethodGet, "/api/v1/plugins/breeze.webhook", nil, http.StatusOK, &p)
		return p.State != "running", p.State
	})
}
