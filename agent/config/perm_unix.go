//go:build !windows

package config

import (
	"fmt"
	"io/fs"
	"os"
)

// checkPrivate refuses a config that anyone but its owner can access.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("config %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o and holds the agent token; run `chmod 600 %s`",
			ErrInsecure, path, perm, path)
	}
	return nil
}

func chmodUnsupported() bool { return false }

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
