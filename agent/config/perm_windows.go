//go:build windows

package config

import (
	"fmt"
	"io/fs"
)

// checkPrivate on Windows: mode bits do not describe access there (ACLs do),
// so only the file kind is checked. The default location, the user's or the
// LocalSystem profile's AppData, is private by default ACL; checking the ACL
// itself is not yet supported.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("config %s is not a regular file", path)
	}
	return nil
}

func chmodUnsupported() bool { return true }

func syncDir(string) {}
