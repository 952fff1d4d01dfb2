package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The state directory keeps what enrollment gave each agent, so a second
// run (or a run with another number of processes) links without enrolling
// again. meta.json names the server; one JSON line per agent, appended to
// the file of the shard that enrolled it. Agent tokens are secrets: files
// are 0600 in a 0700 directory.

type credential struct {
	Index    int    `json:"i"`
	DeviceID string `json:"d"`
	Token    string `json:"t"`
}

type stateMeta struct {
	Server string `json:"server"`
}

// checkStateDir creates dir if needed and refuses one made for another server.
func checkStateDir(dir, server string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "meta.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, _ = json.Marshal(stateMeta{Server: server})
		return os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		return err
	}
	var m stateMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if m.Server != server {
		return fmt.Errorf("state dir %s holds agents of %s, not %s: use another --state-dir", dir, m.Server, server)
	}
	return nil
}

// loadCredentials reads every agent of dir that belongs to shard i of n
// (index k with k%n == i and k < agents).
func loadCredentials(dir string, i, n, agents int) (map[int]credential, error) {
	out := map[int]credential{}
	files, err := filepath.Glob(filepath.Join(dir, "agents-*.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var c credential
			if json.Unmarshal([]byte(line), &c) != nil || c.Token == "" {
				continue // a line cut short by a crash
			}
			if c.Index < agents && c.Index%n == i {
				out[c.Index] = c
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return out, nil
}

// credWriter appends credentials to this shard's file.
type credWriter struct {
	mu sync.Mutex
	f  *os.File
}

func openCredWriter(dir string, i, n int) (*credWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("agents-%d-of-%d.jsonl", i, n)),
		os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &credWriter{f: f}, nil
}

func (w *credWriter) add(c credential) error {
	if w == nil {
		return nil
	}
	b, _ := json.Marshal(c)
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.f.Write(append(b, '\n'))
	return err
}

func (w *credWriter) close() {
	if w != nil {
		w.f.Close()
	}
}

// Key file in the state dir, so a rerun needs no admin password.
func stateKeyPath(dir string) string { return filepath.Join(dir, "enrollment.key") }
