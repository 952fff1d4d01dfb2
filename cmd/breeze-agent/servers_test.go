package main

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/agent/config"
)

// enroll --server a,b: an unreachable first URL is passed over; the one
// that answered becomes the server and the others stay as fallbacks.
func TestEnrollTriesServersInTurn(t *testing.T) {
	srv := newServer(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	cfgPath := filepath.Join(t.TempDir(), "agent.json")
	code, _, stderr := runCmd("enroll", "--config", cfgPath, "--server", deadURL+", "+srv.URL, "--key", enrollKey, "--quiet")
	if code != 0 {
		t.Fatalf("enroll: %d %s", code, stderr)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil || cfg.ServerURL != srv.URL || !slices.Equal(cfg.ServerURLs, []string{deadURL}) {
		t.Fatalf("config %+v %v", cfg, err)
	}
	code, out, _ := runCmd("status", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "Servers:    also "+deadURL) {
		t.Fatalf("status: %d\n%s", code, out)
	}
	// A refused key is not retried on the next URL: every node refuses it.
	cfg2 := filepath.Join(t.TempDir(), "agent.json")
	code, _, stderr = runCmd("enroll", "--config", cfg2, "--server", srv.URL+","+deadURL, "--key", "ek_wrong_key_0123456789abcdef", "--quiet")
	if code == 0 || !strings.Contains(stderr, "rejected") || strings.Contains(stderr, "next URL") {
		t.Fatalf("a refused key: %d %s", code, stderr)
	}
	if code, _, stderr = runCmd("enroll", "--config", cfg2, "--server", srv.URL+",ftp://x", "--key", enrollKey); code == 0 || !strings.Contains(stderr, "ftp") {
		t.Fatalf("a bad URL in the list: %d %s", code, stderr)
	}
}
