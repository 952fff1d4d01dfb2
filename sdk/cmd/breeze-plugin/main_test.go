package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPackFlagOrders: flags before or after the directory give the same
// signed archive (`breeze plugin pack` takes both too).
func TestPackFlagOrders(t *testing.T) {
	work := t.TempDir()
	dir := filepath.Join(work, "p")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "p"), []byte("#!/bin/true\nbinary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), []byte(`{"id":"acme.p","name":"P","version":"1.0.0","kind":"collector","apiVersions":[1],
	"executables":{"linux-amd64":{"path":"bin/p","sha256":""}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(work, "k")
	if err := run([]string{"keygen", key}); err != nil {
		t.Fatal(err)
	}
	after, before := filepath.Join(work, "after.tar.gz"), filepath.Join(work, "before.tar.gz")
	if err := run([]string{"pack", dir, "-key", key + ".key", "-o", after}); err != nil {
		t.Fatalf("pack DIR -key K: %v", err)
	}
	if err := run([]string{"pack", "-key", key + ".key", "-o", before, dir}); err != nil {
		t.Fatalf("pack -key K DIR: %v", err)
	}
	a, _ := os.ReadFile(after)
	b, _ := os.ReadFile(before)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the two forms packed different archives (%d, %d bytes)", len(a), len(b))
	}
	if err := run([]string{"verify", after, "-pub", key + ".pub"}); err != nil {
		t.Fatalf("verify ARCHIVE -pub K: %v", err)
	}
	if err := run([]string{"pack", dir, "extra", "-key", key + ".key"}); err == nil {
		t.Fatal("two directories accepted")
	}
}
