package main

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

func writeKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	pub, _, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pack.EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, p, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pack.KeyID(pub)
}

// Keys are trusted at enrollment and later, listed by status, removed by
// id; a bad file changes nothing and costs no enrollment key.
func TestTrustKeyCommands(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "conf", "agent.json")
	key1, id1 := writeKey(t, dir, "one.pub")
	key2, id2 := writeKey(t, dir, "two.pub")
	bad := filepath.Join(dir, "bad.pub")
	_ = os.WriteFile(bad, []byte("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"), 0o644)

	// A bad key file stops the enrollment before the key is spent.
	code, _, stderr := runCmd("enroll", "--config", cfgPath, "--server", srv.URL, "--key", enrollKey, "--trust-key", bad)
	if code == 0 || !strings.Contains(stderr, "not an ed25519 public key") {
		t.Fatalf("enroll with a bad key: %d %s", code, stderr)
	}
	if _, err := os.Stat(cfgPath); err == nil {
		t.Fatal("a config was written")
	}
	code, _, stderr = runCmd("enroll", "--config", cfgPath, "--server", srv.URL, "--key", enrollKey, "--trust-key", key1, "--quiet")
	if code != 0 {
		t.Fatalf("enroll: %d %s", code, stderr)
	}
	code, out, _ := runCmd("status", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "Plugin keys: "+id1+" (inline)") {
		t.Fatalf("status after enroll: %d\n%s", code, out)
	}

	code, out, stderr = runCmd("trust-key", "--config", cfgPath, key2)
	if code != 0 || !strings.Contains(out, "trusted plugin signing key "+id2) {
		t.Fatalf("trust-key: %d %s %s", code, out, stderr)
	}
	if code, out, _ = runCmd("trust-key", "--config", cfgPath, key2); code != 0 || !strings.Contains(out, "already trusted") {
		t.Fatalf("trusting twice: %d %s", code, out)
	}
	if code, _, stderr = runCmd("trust-key", "--config", cfgPath, bad); code == 0 || !strings.Contains(stderr, "not an ed25519 public key") {
		t.Fatalf("bad key: %d %s", code, stderr)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil || len(cfg.PluginTrustedKeys) != 2 || cfg.AgentToken.Reveal() != token {
		t.Fatalf("config after trust-key: %v %v", cfg.PluginTrustedKeys, err)
	}
	if fi, _ := os.Stat(cfgPath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v", fi.Mode())
	}

	if code, _, stderr = runCmd("untrust-key", "--config", cfgPath, "0000000000000000"); code == 0 || !strings.Contains(stderr, "not a trusted key id") {
		t.Fatalf("untrust unknown: %d %s", code, stderr)
	}
	if code, _, stderr = runCmd("untrust-key", id1, "--config", cfgPath); code != 0 {
		t.Fatalf("untrust: %d %s", code, stderr)
	}
	code, out, _ = runCmd("status", "--config", cfgPath)
	if !strings.Contains(out, "Plugin keys: "+id2+" (inline)") || strings.Contains(out, id1) {
		t.Fatalf("status after untrust: %s", out)
	}
}

// A running agent takes a changed key set without a restart.
func TestTrustedKeysReloaded(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.json")
	cfg := config.Config{ServerURL: "https://rmm.example.test", DeviceID: device, AgentToken: config.Secret(token)}
	if err := config.Save(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	key, id := writeKey(t, dir, "k.pub")
	var mu sync.Mutex
	var got [][]ed25519.PublicKey
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := trustReloadEvery
	trustReloadEvery = 20 * time.Millisecond
	defer func() { trustReloadEvery = old }()
	go reloadTrustedKeys(ctx, cfgPath, nil, func(k []ed25519.PublicKey) { mu.Lock(); got = append(got, k); mu.Unlock() }, hclog.NewNullLogger())
	if code, _, stderr := runCmd("trust-key", "--config", cfgPath, key); code != 0 {
		t.Fatal(stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed keys never reached the plugin manager")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0]) != 1 || pack.KeyID(got[0][0]) != id {
		t.Fatalf("handed %v, want the one key %s", got, id)
	}
}
