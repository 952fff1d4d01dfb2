package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/breeze-rmm/breeze/agent/config"
)

// trust-release-key adds a release key from its base64 or its .pub file,
// once; anything else changes nothing.
func TestTrustReleaseKey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.json")
	if err := config.Save(cfgPath, config.Config{ServerURL: "https://breeze.example.test", DeviceID: "d1",
		AgentToken: config.Secret("brz_" + "x12345678901234567890")}); err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	key := base64.StdEncoding.EncodeToString(pub)
	pubFile := filepath.Join(dir, "release.pub")
	if err := os.WriteFile(pubFile, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := runMain(context.Background(), append([]string{"trust-release-key", "--config", cfgPath}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("not-a-key"); code == 0 {
		t.Fatalf("a bad key was accepted: %s", out)
	}
	if code, out := run(pubFile); code != 0 {
		t.Fatalf("from the .pub file: %d %s", code, out)
	}
	if code, out := run(key); code != 0 || !bytes.Contains([]byte(out), []byte("already trusted")) {
		t.Fatalf("the same key again: %d %s", code, out)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.ReleaseKeys) != 1 || cfg.ReleaseKeys[0] != key {
		t.Fatalf("release keys %v", cfg.ReleaseKeys)
	}
}
