package plugins

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The store outlives its host (a plugin or agent restart), is private, and
// a change that cannot be written is refused and undone.
func TestHostKVPersists(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	file := &kvFile{path: filepath.Join(kvDir(state), "acme.cache.json")}
	h := newHost(hclog.NewNullLogger(), nil, file)
	for k, v := range map[string]string{"a": "1", "b/c": "\x00binary\xff"} {
		if err := h.KVPut(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.KVDelete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file.path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store file %v %v", fi, err)
	}
	if di, _ := os.Stat(kvDir(state)); di.Mode().Perm() != 0o700 {
		t.Fatalf("store dir mode %v", di.Mode())
	}

	again := newHost(hclog.NewNullLogger(), nil, file)
	if v, ok, _ := again.KVGet(ctx, "b/c"); !ok || string(v) != "\x00binary\xff" {
		t.Fatalf("after a restart: %q %v", v, ok)
	}
	if _, ok, _ := again.KVGet(ctx, "a"); ok {
		t.Fatal("a deleted key came back")
	}
	if again.kvBytes != len("b/c")+len("\x00binary\xff") {
		t.Fatalf("size after load %d", again.kvBytes)
	}

	// The directory turns read-only: the put fails and is not kept in memory.
	if os.Geteuid() != 0 { // root writes anyway
		_ = os.Chmod(kvDir(state), 0o500)
		err := again.KVPut(ctx, "x", []byte("y"))
		_ = os.Chmod(kvDir(state), 0o700)
		if err == nil {
			t.Fatal("a put that could not be written succeeded")
		}
		if _, ok, _ := again.KVGet(ctx, "x"); ok {
			t.Fatal("a failed put is visible")
		}
	} else {
		blocked := &kvFile{path: filepath.Join(state, "not-a-dir", "p.json")}
		if err := os.WriteFile(filepath.Join(state, "not-a-dir"), []byte("file"), 0o600); err != nil {
			t.Fatal(err)
		}
		b := newHost(hclog.NewNullLogger(), nil, blocked)
		if err := b.KVPut(ctx, "x", []byte("y")); err == nil {
			t.Fatal("a put that could not be written succeeded")
		}
		if _, ok, _ := b.KVGet(ctx, "x"); ok || b.kvBytes != 0 {
			t.Fatal("a failed put is visible")
		}
	}
}

func TestHostKVDamagedFileStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	file := &kvFile{path: filepath.Join(dir, "p.json")}
	if err := os.WriteFile(file.path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHost(hclog.NewNullLogger(), nil, file)
	if len(h.kv) != 0 {
		t.Fatalf("kv %v", h.kv)
	}
	if _, err := os.Stat(file.path + ".corrupt"); err != nil {
		t.Fatalf("the damaged file was not kept aside: %v", err)
	}
	if err := h.KVPut(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
}

func TestGCKVKeepsRecentAndWanted(t *testing.T) {
	state := t.TempDir()
	dir := kvDir(state)
	_ = os.MkdirAll(dir, 0o700)
	old := time.Now().Add(-kvKeepUnused - time.Hour)
	for _, n := range []string{"wanted.json", "recent.json", "stale.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chtimes(filepath.Join(dir, "wanted.json"), old, old)
	_ = os.Chtimes(filepath.Join(dir, "stale.json"), old, old)
	gcKV(state, map[string]string{"wanted": "1.0.0"}, time.Now())
	for n, want := range map[string]bool{"wanted.json": true, "recent.json": true, "stale.json": false} {
		_, err := os.Stat(filepath.Join(dir, n))
		if got := err == nil; got != want {
			t.Errorf("%s kept=%v, want %v (%v)", n, got, want, err)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Error(err)
		}
	}
}
