package plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// kvFile keeps one plugin's key-value store on disk, so it survives the
// plugin's restarts, upgrades and the agent's own restarts as the server's
// does: StateDir/plugin-kv/<plugin id>.json, mode 0600, rewritten whole
// and atomically on every change (the store is at most maxKVTotal bytes).
// It lives outside the plugins' install directories, which are replaced
// on upgrade; a plugin no longer offered keeps its file for kvKeepUnused.
type kvFile struct{ path string }

// kvKeepUnused is how long the store of a plugin this agent no longer runs
// is kept (a plugin disabled and enabled again finds its data).
const kvKeepUnused = 30 * 24 * time.Hour

func kvDir(stateDir string) string { return filepath.Join(stateDir, "plugin-kv") }

// load reads the store; a missing file is an empty store. A file that
// cannot be read as one is moved aside (…json.corrupt) and the store
// starts empty: a plugin's cache must not stop it from running.
func (f kvFile) load() (map[string][]byte, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return map[string][]byte{}, fmt.Errorf("read plugin store: %w", err)
	}
	kv := map[string][]byte{}
	if err := json.Unmarshal(data, &kv); err != nil {
		_ = os.Rename(f.path, f.path+".corrupt")
		return map[string][]byte{}, fmt.Errorf("plugin store %s is damaged (moved aside, starting empty): %w", f.path, err)
	}
	return kv, nil
}

// save replaces the file with kv (values are base64 in the JSON).
func (f kvFile) save(kv map[string][]byte) error {
	data, err := json.Marshal(kv)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("plugin store directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write plugin store: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write plugin store: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write plugin store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// gcKV removes the stores of plugins not in wanted that were last changed
// more than kvKeepUnused ago.
func gcKV(stateDir string, wanted map[string]string, now time.Time) {
	entries, err := os.ReadDir(kvDir(stateDir))
	if err != nil {
		return
	}
	for _, e := range entries {
		id := e.Name()
		if ext := filepath.Ext(id); ext == ".json" {
			id = id[:len(id)-len(ext)]
		}
		if _, ok := wanted[id]; ok {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > kvKeepUnused {
			_ = os.Remove(filepath.Join(kvDir(stateDir), e.Name()))
		}
	}
}
