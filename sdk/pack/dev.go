package pack

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// PackUnsigned is Pack without a key for a plugin under development (a
// host's dev mode): every executable is hashed afresh, replacing any hash
// already written in the manifest, since each build changes the binary.
// The archive verifies only with VerifyOptions.AllowUnsigned.
func PackUnsigned(dir string, w io.Writer) (*manifest.Manifest, error) {
	m, mbytes, err := pin(dir, true)
	if err != nil {
		return nil, err
	}
	return write(dir, m, mbytes, nil, w, gzip.BestSpeed) // packed on every rebuild, kept on this machine
}

// Fingerprint is a cheap summary of a plugin directory under development:
// the manifest's bytes and each executable's size and modification time.
// It changes when the author edits plugin.json or rebuilds, without hashing
// the binaries (a host polls it every few seconds).
func Fingerprint(dir string) (string, error) {
	m, raw, err := manifest.Load(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(raw)
	paths := executablePaths(m)
	sort.Strings(paths)
	for _, p := range paths {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00%d", p, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DevDirs lists the plugin directories of a dev directory: dir itself when
// it holds a plugin.json, else each subdirectory that does (hidden ones
// left out), sorted.
func DevDirs(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); err == nil {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, manifest.FileName)); err == nil {
			out = append(out, sub)
		}
	}
	sort.Strings(out)
	return out, nil
}
