package secretbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the key file's name in the data directory.
const KeyFileName = "plugin-secret.key"

// Open returns the Box for this node: the key in envKey when set (every
// node of a cluster must share it), else the key file in dataDir, created
// on first use.
func Open(envKey, dataDir string) (*Box, error) {
	if strings.TrimSpace(envKey) != "" {
		k, err := ParseKey(envKey)
		if err != nil {
			return nil, fmt.Errorf("BREEZE_PLUGIN_SECRET_KEY: %w", err)
		}
		return New(k)
	}
	k, err := LoadOrCreateKey(filepath.Join(dataDir, KeyFileName))
	if err != nil {
		return nil, err
	}
	return New(k)
}

// LoadOrCreateKey reads the key at path or creates it (random, 0600, in a
// 0700 directory). Creation is exclusive, so two processes starting together
// share one key; a file group or others may read is refused.
func LoadOrCreateKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: key directory: %w", err)
	}
	k, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		k = make([]byte, KeySize)
		if _, err := io.ReadFull(randReader, k); err != nil {
			return nil, fmt.Errorf("secretbox: generate key: %w", err)
		}
		err = writeKey(path, k)
		if errors.Is(err, fs.ErrExist) { // lost a creation race: use the winner's
			k, err = readKey(path)
		}
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	defer f.Close()
	// Check the opened file itself, not the path, so a swap cannot slip by.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secretbox: key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secretbox: key file %s has mode %04o and may be read by group or others; run: chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	k, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file %s: %w", path, err)
	}
	return k, nil
}

// writeKey writes a 0600 temp file, syncs it and hard-links it to path
// (fs.ErrExist when another process won), falling back to rename.
func writeKey(path string, k []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".plugin-secret-*.tmp")
	if err != nil {
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
		}
		os.Remove(tmp.Name())
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	if _, err = tmp.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("secretbox: key file: %w", err)
	}
	return nil
}
