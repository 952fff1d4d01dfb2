package jwt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// maxKeyFileBytes bounds what LoadOrCreateKeySet will read.
const maxKeyFileBytes = 1 << 16

// keyFile is the on-disk form. Secrets are base64 (encoding/json's []byte).
type keyFile struct {
	Version int           `json:"version"`
	Keys    []keyFileItem `json:"keys"` // current first
}

type keyFileItem struct {
	ID      string    `json:"kid"`
	Secret  []byte    `json:"secret"`
	Created time.Time `json:"created,omitzero"`
}

// LoadOrCreateKeySet reads the key set at path, or creates it with one random
// key when it does not exist. The directory is created with mode 0700 and the
// file with 0600; an existing file that group or others may access is refused.
// Creation is exclusive, so two processes starting together end up sharing
// one key set rather than overwriting each other's.
func LoadOrCreateKeySet(path string) (*KeySet, error) {
	if path == "" {
		return nil, errors.New("jwt: key file path is empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("jwt: key directory: %w", err)
	}
	keys, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		keys = []key{newRandomKey()}
		err = writeKeyFile(path, keys, true)
		if errors.Is(err, fs.ErrExist) { // lost a creation race: use the winner's
			keys, err = readKeyFile(path)
		}
	}
	if err != nil {
		return nil, err
	}
	return &KeySet{keys: keys, path: path}, nil
}

func readKeyFile(path string) ([]key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("jwt: key file: %w", err)
	}
	defer f.Close()
	// Check the opened file itself, not the path, so a swap cannot slip by.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("jwt: key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("jwt: key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("jwt: key file %s has mode %04o and may be read by group or others; run: chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwt: key file: %w", err)
	}
	if len(data) > maxKeyFileBytes {
		return nil, fmt.Errorf("jwt: key file %s is larger than %d bytes", path, maxKeyFileBytes)
	}
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		// The decoder's message may quote file content: keep it out.
		return nil, fmt.Errorf("jwt: key file %s is not valid JSON", path)
	}
	if kf.Version != 1 {
		return nil, fmt.Errorf("jwt: key file %s has unsupported version %d", path, kf.Version)
	}
	if len(kf.Keys) == 0 {
		return nil, fmt.Errorf("jwt: key file %s holds no keys", path)
	}
	keys := make([]key, 0, len(kf.Keys))
	seen := map[string]bool{}
	for i, it := range kf.Keys {
		switch {
		case it.ID == "":
			return nil, fmt.Errorf("jwt: key file %s: key %d has no kid", path, i)
		case seen[it.ID]:
			return nil, fmt.Errorf("jwt: key file %s: kid %q appears twice", path, it.ID)
		case len(it.Secret) < MinSecretBytes:
			return nil, fmt.Errorf("jwt: key file %s: key %q is shorter than %d bytes", path, it.ID, MinSecretBytes)
		}
		seen[it.ID] = true
		keys = append(keys, key(it))
	}
	return keys, nil
}

// writeKeyFile writes keys atomically: a 0600 temp file in the same directory,
// synced, then renamed over path (or, when exclusive, hard-linked to path,
// which fails with fs.ErrExist if another process created it first).
func writeKeyFile(path string, keys []key, exclusive bool) (err error) {
	kf := keyFile{Version: 1, Keys: make([]keyFileItem, len(keys))}
	for i, k := range keys {
		kf.Keys[i] = keyFileItem(k)
	}
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("jwt: encode key file: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".jwt-keys-*.tmp") // created 0600
	if err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
		}
		os.Remove(tmp.Name()) // a no-op once renamed
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	if exclusive {
		err = os.Link(tmp.Name(), path)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			// No hard links on this filesystem: fall back to a plain rename.
			err = os.Rename(tmp.Name(), path)
		}
	} else {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("jwt: key file: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
